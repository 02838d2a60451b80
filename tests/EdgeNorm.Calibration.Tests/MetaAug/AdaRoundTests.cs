using EdgeNorm.Calibration.MetaAug;
using EdgeNorm.Model.Ir;
using Xunit;

namespace EdgeNorm.Calibration.Tests.MetaAug;

/// <summary>The AdaRound quantiser, regulariser and β schedule against the numbers of calibration.md §6.4.</summary>
public sealed class AdaRoundTests
{
    private static RoundedWeights<double> Layer(int seed = 3)
    {
        var rng = new Random(seed);
        var w = new float[6 * 10];
        for (int i = 0; i < w.Length; i++) w[i] = (float)((2 * rng.NextDouble() - 1) * (1 + i % 6));
        var node = new Node { Name = "fc", OpType = "Linear", Domain = Node.EdgeNormDomain, Inputs = ["x", "w"], Outputs = ["y"] };
        return new RoundedWeights<double>(node, "w", Tensor.FromFloats([6, 10], w));
    }

    [Fact]
    public void SoftWeightsAtInit_EqualTheFloatWeights()
    {
        var layer = Layer();
        layer.Mode = WeightMode.Soft;
        var soft = layer.Values();
        for (int i = 0; i < soft.Length; i++)
            Assert.True(Math.Abs(soft[i] - layer.Float[i]) <= 1e-6 * Math.Abs(layer.Float[i]) + 1e-9, $"weight {i}: soft {soft[i]} vs float {layer.Float[i]}");
    }

    [Fact]
    public void HardWeightsAtInit_AreRoundToNearest_AtTheQuantiserScale()
    {
        var layer = Layer();
        var q = layer.Int8();
        for (int r = 0; r < layer.Rows; r++)
        {
            float maxAbs = 0;
            for (int c = 0; c < layer.Columns; c++) maxAbs = Math.Max(maxAbs, Math.Abs(layer.Float[r * layer.Columns + c]));
            Assert.Equal(maxAbs / 127f, layer.Scales[r]);
            for (int c = 0; c < layer.Columns; c++)
            {
                int i = r * layer.Columns + c;
                Assert.Equal(Math.Clamp(Math.Round(layer.Float[i] / (double)layer.Scales[r]), -127, 127), q[i]);
            }
        }
        layer.Mode = WeightMode.Hard;
        var hard = layer.Values();
        Assert.Equal(layer.Scales[0] * q[0], hard[0], 12);
    }

    [Fact]
    public void Regularizer_IsZeroAtZeroAndOne_AndOneAtHalf()
    {
        foreach (double beta in new[] { 2.0, 11, 20 })
        {
            Assert.Equal(0, AdaRound.Regularizer(0, beta), 12);
            Assert.Equal(0, AdaRound.Regularizer(1, beta), 12);
            Assert.Equal(1, AdaRound.Regularizer(0.5, beta), 12);
        }
    }

    [Fact]
    public void BetaSchedule_TwentyDuringWarmUp_ThenLinearToTwo()
    {
        const int total = 1000;
        Assert.Equal(20, AdaRound.Beta(0.1 * total, total), 12);
        Assert.Equal(11, AdaRound.Beta(0.6 * total, total), 12);
        Assert.Equal(2, AdaRound.Beta(total, total), 12);
        Assert.False(AdaRound.RegularizerActive(199, total));
        Assert.True(AdaRound.RegularizerActive(200, total));
    }

    [Fact]
    public void RectifiedSigmoid_InitialV_InvertsH_AndDerivativesMatchFiniteDifferences()
    {
        foreach (double f in new[] { 0.0, 0.1, 0.5, 0.93 })
            Assert.Equal(f, AdaRound.H(AdaRound.InitialV(f)), 12);
        const double h = 1e-6;
        foreach (double v in new[] { -1.5, -0.2, 0.4, 2.0 })
        {
            double fd = (AdaRound.H(v + h) - AdaRound.H(v - h)) / (2 * h);
            Assert.True(Math.Abs(fd - AdaRound.DH(v)) <= 1e-6, $"dh/dV at {v}: {AdaRound.DH(v)} vs {fd}");
            double u = AdaRound.H(v);
            double fr = (AdaRound.Regularizer(u + h, 5) - AdaRound.Regularizer(u - h, 5)) / (2 * h);
            Assert.True(Math.Abs(fr - AdaRound.RegularizerDerivative(u, 5)) <= 1e-5 * Math.Max(1, Math.Abs(fr)), $"df/dh at {u}");
        }
        Assert.Equal(0, AdaRound.DH(10));   // clamped at 1: no gradient
    }

    [Fact]
    public void RoundingGradient_MatchesFiniteDifferences_OfTheSoftWeightsAndRegularizer()
    {
        var layer = Layer(5);
        layer.Mode = WeightMode.Soft;
        var rng = new Random(2);
        var upstream = layer.Float.Select(_ => 2 * rng.NextDouble() - 1).ToArray();
        double Loss()
        {
            var w = layer.Values();
            double l = 0;
            for (int i = 0; i < w.Length; i++) l += upstream[i] * w[i];
            return l + layer.Regularizer(7, 0.3, null);
        }
        var dV = new double[layer.V.Length];
        layer.Backward(upstream, dV);
        layer.Regularizer(7, 0.3, dV);
        const double h = 1e-6;
        double diff = 0, norm = 0;
        for (int i = 0; i < dV.Length; i++)
        {
            var v = (double[])layer.V.Clone();
            double keep = v[i];
            v[i] = keep + h; layer.V = (double[])v.Clone(); double plus = Loss();
            v[i] = keep - h; layer.V = (double[])v.Clone(); double minus = Loss();
            v[i] = keep; layer.V = v;
            double fd = (plus - minus) / (2 * h);
            diff += (fd - dV[i]) * (fd - dV[i]);
            norm += fd * fd;
        }
        Assert.True(norm > 0);
        Assert.True(Math.Sqrt(diff / norm) <= 1e-5, $"relative error {Math.Sqrt(diff / norm):E3}");
    }
}
