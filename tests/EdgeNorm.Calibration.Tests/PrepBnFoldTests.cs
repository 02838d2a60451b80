using EdgeNorm.Calibration.Quantization;
using Xunit;

namespace EdgeNorm.Calibration.Tests;

/// <summary>Test vector 10 of integer-ops.md §9: PRepBN folding into a Linear, both directions, in float64.</summary>
public class PrepBnFoldTests
{
    private const int N = 7, K = 5;

    private static (float[] W, float[] Bias, double[] A, double[] B, double[] X) Random(int seed)
    {
        var rng = new Random(seed);
        float R() => (float)(rng.NextDouble() * 2 - 1);
        var w = Enumerable.Range(0, N * K).Select(_ => R()).ToArray();
        var bias = Enumerable.Range(0, N).Select(_ => R()).ToArray();
        // a = γ/√(σ² + ε) + η with η ≠ 0 (PRepBN's α), b = β − μ·γ/√(σ² + ε): any reals, so random.
        var a = Enumerable.Range(0, K + N).Select(_ => 0.5 + rng.NextDouble()).ToArray();
        var b = Enumerable.Range(0, K + N).Select(_ => rng.NextDouble() - 0.5).ToArray();
        var x = Enumerable.Range(0, K).Select(_ => rng.NextDouble() * 4 - 2).ToArray();
        return (w, bias, a, b, x);
    }

    private static double[] Linear(IReadOnlyList<double> w, IReadOnlyList<double> bias, double[] x)
    {
        var y = new double[N];
        for (int r = 0; r < N; r++)
        {
            double s = bias[r];
            for (int i = 0; i < K; i++) s += w[r * K + i] * x[i];
            y[r] = s;
        }
        return y;
    }

    [Fact]
    public void IntoFollowingLinear_MatchesLinearOfRepBn_To1e12Relative()
    {
        for (int seed = 0; seed < 50; seed++)
        {
            var (w, bias, a, b, x) = Random(seed);
            var (fw, fb) = PrepBnFold.IntoFollowing(w, N, K, bias, a[..K], b[..K]);
            var expected = Linear(w.Select(v => (double)v).ToArray(), bias.Select(v => (double)v).ToArray(),
                x.Select((v, i) => a[i] * v + b[i]).ToArray());
            var actual = Linear(fw, fb, x);
            for (int r = 0; r < N; r++)
                Assert.True(Math.Abs(actual[r] - expected[r]) <= 1e-12 * Math.Max(1, Math.Abs(expected[r])), $"seed {seed}, row {r}: {actual[r]} vs {expected[r]}");
        }
    }

    [Fact]
    public void IntoPrecedingLinear_IncludesTheABiasTerm()
    {
        var (w, bias, a, b, x) = Random(3);
        var an = a[K..];
        var bn = b[K..];
        var (fw, fb) = PrepBnFold.IntoPreceding(w, N, K, bias, an, bn);
        var inner = Linear(w.Select(v => (double)v).ToArray(), bias.Select(v => (double)v).ToArray(), x);
        var actual = Linear(fw, fb, x);
        for (int r = 0; r < N; r++)
        {
            double expected = an[r] * inner[r] + bn[r];
            Assert.True(Math.Abs(actual[r] - expected) <= 1e-12 * Math.Max(1, Math.Abs(expected)), $"row {r}");
            // SLAB's merge_bn drops η·bias (here: uses bias instead of a·bias): that would be off by (a − 1)·bias.
            Assert.True(Math.Abs((an[r] - 1) * bias[r]) > 1e-6, "the test needs a ≠ 1 and a nonzero bias to catch the dropped term");
        }
    }

    [Fact]
    public void Fold_RejectsMismatchedShapes()
    {
        var (w, bias, a, b, _) = Random(1);
        Assert.Throws<ArgumentException>(() => PrepBnFold.IntoFollowing(w, N, K, bias, a, b[..K]));
        Assert.Throws<ArgumentException>(() => PrepBnFold.IntoPreceding(w, N, K + 1, bias, a[..N], b[..N]));
    }
}
