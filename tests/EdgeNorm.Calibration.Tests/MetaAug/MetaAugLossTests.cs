using EdgeNorm.Calibration.MetaAug;
using Xunit;

namespace EdgeNorm.Calibration.Tests.MetaAug;

/// <summary>The outer-loss terms (calibration.md §6.4): KL of a distribution with itself is 0, the margin is 0 above its threshold, gradients vs finite differences.</summary>
public sealed class MetaAugLossTests
{
    private static double[] Random(int n, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => 3 * (2 * rng.NextDouble() - 1)).ToArray();
    }

    [Fact]
    public void Kl_OfADistributionWithItself_IsZero()
    {
        var p = Random(4 * 10, 1);
        var g = new double[p.Length];
        Assert.Equal(0, MetaAugLosses.Kl(p, p, 10, 4, g), 12);
        Assert.All(g, v => Assert.Equal(0, v, 12));
        Assert.True(MetaAugLosses.Kl(p, Random(40, 2), 10, 4, null) > 0);
    }

    [Fact]
    public void Margin_IsZeroWithZeroGradient_AboveTheThreshold()
    {
        var x = Random(64, 3);
        var far = x.Select(v => v + 0.5).ToArray();   // mean squared change 0.25 ≥ 0.1
        var g = new double[x.Length];
        Assert.Equal(0, MetaAugLosses.Margin(far, x, 0.1, g));
        Assert.All(g, v => Assert.Equal(0, v));
        var near = x.Select(v => v + 0.1).ToArray();  // 0.01 < 0.1
        Assert.Equal(0.09, MetaAugLosses.Margin(near, x, 0.1, null), 10);
    }

    [Fact]
    public void KlAndReconstructionGradients_MatchFiniteDifferences()
    {
        var p = Random(30, 4);
        var q = Random(30, 5);
        var target = Random(30, 6);
        Check(v => MetaAugLosses.Kl(p, v, 10, 4, null), q, g => MetaAugLosses.Kl(p, q, 10, 4, g));
        Check(v => MetaAugLosses.Reconstruction(v, target, 5, null), q, g => MetaAugLosses.Reconstruction(q, target, 5, g));
        var x = Random(30, 7);
        var t = x.Select((v, i) => v + 0.01 * (i % 3)).ToArray();
        Check(v => MetaAugLosses.Margin(v, x, 0.1, null), t, g => MetaAugLosses.Margin(t, x, 0.1, g));
    }

    private static void Check(Func<double[], double> loss, double[] at, Action<double[]> gradient)
    {
        var g = new double[at.Length];
        gradient(g);
        const double h = 1e-6;
        for (int i = 0; i < at.Length; i++)
        {
            var plus = (double[])at.Clone();
            var minus = (double[])at.Clone();
            plus[i] += h;
            minus[i] -= h;
            double fd = (loss(plus) - loss(minus)) / (2 * h);
            Assert.True(Math.Abs(fd - g[i]) <= 1e-6 * Math.Max(1, Math.Abs(fd)), $"element {i}: analytic {g[i]} vs {fd}");
        }
    }
}
