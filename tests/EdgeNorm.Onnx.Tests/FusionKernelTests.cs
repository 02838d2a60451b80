using EdgeNorm.Calibration.Float;
using EdgeNorm.Model.Ir;
using Xunit;
using IrAttribute = EdgeNorm.Model.Ir.Attribute;

namespace EdgeNorm.Onnx.Tests;

/// <summary>The fused ops' float kernels against their contracts (docs/fusion.md §3), computed directly.</summary>
public class FusionKernelTests
{
    private static Tensor[] Run(string op, Tensor?[] inputs, params (string, IrAttribute)[] attrs)
    {
        Assert.True(FloatOps.TryGet(Node.EdgeNormDomain, op, out var impl), $"no float kernel for edgenorm.{op}");
        var node = new Node { Name = "n", OpType = op, Domain = Node.EdgeNormDomain, Inputs = [.. inputs.Select((_, i) => $"i{i}")], Outputs = ["y"] };
        foreach (var (k, v) in attrs) node.Attributes[k] = v;
        return impl.Forward(new OpContext(17), node, inputs);
    }

    private static Tensor F(int[] shape, params float[] v) => Tensor.FromFloats(shape, v);

    [Theory]
    [InlineData(0.0, 0.0)]
    [InlineData(1.0, 0.8413447460685429)]       // Φ(1)·1
    [InlineData(-1.0, -0.15865525393145707)]
    [InlineData(2.5, 2.4844758137190357)]
    [InlineData(-3.0, -0.004049694238681)]
    [InlineData(5.0, 4.999998566732727)]
    public void Gelu_Erf_IsXTimesNormalCdf(double x, double expected)
    {
        var y = Run("Gelu", [F([1], (float)x)], ("approximate", IrAttribute.Of("none")))[0].F[0];
        Assert.Equal(expected, y, 1e-6);
    }

    [Fact]
    public void Gelu_Tanh_MatchesFormula()
    {
        float[] xs = [-4f, -1.5f, -0.25f, 0f, 0.7f, 3f];
        var y = Run("Gelu", [F([xs.Length], xs)], ("approximate", IrAttribute.Of("tanh")))[0].F;
        for (int i = 0; i < xs.Length; i++)
        {
            double x = xs[i];
            double e = 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
            Assert.Equal(e, y[i], 1e-6);
        }
    }

    [Fact]
    public void Linear_ComputesXTimesWTransposedPlusBias()
    {
        // X [2,3], W [2 outputs, 3 inputs].
        var y = Run("Linear", [F([2, 3], 1, 2, 3, 4, 5, 6), F([2, 3], 1, 0, -1, 0.5f, 0.5f, 0.5f), F([2], 10, 20)])[0];
        Assert.Equal([2, 2], y.Shape);
        Assert.Equal([1 - 3 + 10, 3 + 20, 4 - 6 + 10, 7.5f + 20], y.F);
    }

    [Fact]
    public void LayerNorm_NormalisesLastAxis()
    {
        var y = Run("LayerNorm", [F([1, 4], 1, 2, 3, 4), F([4], 1, 1, 2, 2), F([4], 0, 0, 0, 1)], ("epsilon", IrAttribute.Of(0f)))[0].F;
        double s = Math.Sqrt(1.25);
        Assert.Equal(-1.5 / s, y[0], 1e-6);
        Assert.Equal(-0.5 / s, y[1], 1e-6);
        Assert.Equal(2 * 0.5 / s, y[2], 1e-6);
        Assert.Equal(2 * 1.5 / s + 1, y[3], 1e-6);
    }

    [Fact]
    public void L1Norm_DividesByScaledMeanAbsoluteDeviationPlusEps()
    {
        // mean 2.5, |c| = 1.5 0.5 0.5 1.5 → MAD 1; k = 2, eps = 0.5 → divisor 2.5.
        var y = Run("L1Norm", [F([4], 1, 2, 3, 4), null, null], ("epsilon", IrAttribute.Of(0.5f)), ("mad_scale", IrAttribute.Of(2f)))[0].F;
        Assert.Equal([-0.6f, -0.2f, 0.2f, 0.6f], y.Select(v => MathF.Round(v, 6)).ToArray());
    }

    [Fact]
    public void RepBn_IsBatchNormOverLastAxisPlusAlphaTimesX()
    {
        float[] x = [1, -2, 3, 0.5f, 4, -1];
        float[] gamma = [2, 0.5f], beta = [0.1f, -0.3f], mean = [1, -1], var = [4, 0.25f];
        var y = Run("RepBN", [F([1, 3, 2], x), F([2], gamma), F([2], beta), F([2], mean), F([2], var), F([1], 0.75f)],
            ("epsilon", IrAttribute.Of(1e-5f)))[0].F;
        for (int i = 0; i < x.Length; i++)
        {
            int c = i % 2;
            double bn = (x[i] - mean[c]) / Math.Sqrt(var[c] + 1e-5) * gamma[c] + beta[c];
            Assert.Equal(bn + 0.75 * x[i], y[i], 1e-5);
        }
    }

    [Fact]
    public void BatchNorm_UsesChannelAxisOne()
    {
        var y = Run("BatchNorm", [F([1, 2, 2], 1, 2, 3, 4), F([2], 1, 2), F([2], 0, 1), F([2], 1, 3), F([2], 1, 4)], ("epsilon", IrAttribute.Of(0f)))[0].F;
        Assert.Equal([0f, 1f, 1f, 2f], y);
    }

    [Fact]
    public void Attention_PackedWithMask_MatchesDirectComputation()
    {
        // B=1, S=3, H=2, Dh=2: qkv [1,3,12]; mask [1,1,1,3] hides token 2.
        var rng = new Random(5);
        float[] qkv = Enumerable.Range(0, 36).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        float[] mask = [0, 0, -10000];
        var y = Run("Attention", [F([1, 3, 12], qkv), null, null, F([1, 1, 1, 3], mask)],
            ("num_heads", IrAttribute.Of(2L)), ("scale", IrAttribute.Of(0.5f)), ("packed_qkv", IrAttribute.Of(1L)))[0];
        Assert.Equal([1, 3, 4], y.Shape);
        for (int h = 0; h < 2; h++)
            for (int i = 0; i < 3; i++)
            {
                var s = new double[3];
                for (int j = 0; j < 3; j++)
                {
                    for (int d = 0; d < 2; d++) s[j] += qkv[i * 12 + h * 2 + d] * qkv[j * 12 + 4 + h * 2 + d];
                    s[j] = s[j] * 0.5 + mask[j];
                }
                double max = s.Max(), sum = s.Sum(v => Math.Exp(v - max));
                for (int d = 0; d < 2; d++)
                {
                    double o = 0;
                    for (int j = 0; j < 3; j++) o += Math.Exp(s[j] - max) / sum * qkv[j * 12 + 8 + h * 2 + d];
                    Assert.Equal(o, y.F[i * 4 + h * 2 + d], 1e-6);
                }
            }
    }

    [Fact]
    public void PatchEmbed_EqualsStridedConvolution()
    {
        var rng = new Random(2);
        float[] x = Enumerable.Range(0, 2 * 2 * 4 * 6).Select(_ => (float)rng.NextDouble()).ToArray();
        float[] w = Enumerable.Range(0, 3 * 2 * 2 * 2).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        var y = Run("PatchEmbed", [F([2, 2, 4, 6], x), F([3, 2, 2, 2], w), F([3], 1, 2, 3)],
            ("kernel_shape", IrAttribute.Of(new long[] { 2, 2 })))[0];
        Assert.Equal([2, 6, 3], y.Shape);
        for (int b = 0; b < 2; b++)
            for (int py = 0; py < 2; py++)
                for (int px = 0; px < 3; px++)
                    for (int d = 0; d < 3; d++)
                    {
                        double acc = d + 1;
                        for (int c = 0; c < 2; c++)
                            for (int i = 0; i < 2; i++)
                                for (int j = 0; j < 2; j++)
                                    acc += x[((b * 2 + c) * 4 + py * 2 + i) * 6 + px * 2 + j] * w[((d * 2 + c) * 2 + i) * 2 + j];
                        Assert.Equal(acc, y.F[(b * 6 + py * 3 + px) * 3 + d], 1e-5);
                    }
    }

    [Fact]
    public void Embedding_LooksUpRowsAndRejectsOutOfRangeIds()
    {
        var table = F([3, 2], 0, 1, 10, 11, 20, 21);
        var y = Run("Embedding", [Tensor.FromLongs(DataType.Int64, [2], [2, -3]), table])[0];
        Assert.Equal([2, 2], y.Shape);
        Assert.Equal([20f, 21, 0, 1], y.F);
        Assert.Throws<FloatOpException>(() => Run("Embedding", [Tensor.FromLongs(DataType.Int64, [1], [3]), table]));
    }

    [Fact]
    public void Attention_RejectsWidthNotDivisibleByHeads()
    {
        Assert.Throws<FloatOpException>(() => Run("Attention", [F([1, 1, 3], 1, 2, 3), F([1, 1, 3], 1, 2, 3), F([1, 1, 3], 1, 2, 3)],
            ("num_heads", IrAttribute.Of(2L)), ("scale", IrAttribute.Of(1f))));
    }
}
