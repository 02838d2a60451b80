using EdgeNorm.Model.Format;
using EdgeNorm.Onnx;
using EdgeNorm.Runtime;
using EdgeNorm.Runtime.Numerics.Offline;
using EdgeNorm.Tests;
using Xunit;

namespace EdgeNorm.Calibration.Tests;

/// <summary>
/// The LUT GELU writes an asymmetric int8 grid and the Linear that reads it absorbs the zero point in its int32 bias
/// (docs/numerics.md §12.3): checked on the stored file against GELU and against the float graph's own bias.
/// </summary>
public class AsymmetricTableOutputTests
{
    [Fact]
    public void GeluTableOutput_IsAsymmetric_AndEveryEntryIsTheNearestCode()
    {
        var image = EndToEnd.Calibrate("vit_l1");
        using var file = EdgnModel.Load(image);
        var values = file.Header.Values.ToDictionary(v => v.Name);
        var lookups = file.Header.Nodes.Where(n => n.OpType == IntegerOpNames.Lookup).ToList();
        Assert.NotEmpty(lookups);
        foreach (var lookup in lookups)
        {
            var y = values[lookup.Outputs[0]];
            var q = y.Quant!;
            long z = q.ZeroPoints[0];
            float s = q.Scales[0];
            // GELU ≥ −0.17: the grid starts just below zero, so most of the 256 codes are above the zero point.
            Assert.InRange(z, -128 + 1, -100);

            // Every table entry is the nearest code of GELU(x) on that grid (½ LSB), and the grid is used.
            var x = values[lookup.Inputs[0]].Quant!;
            var table = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, sbyte>(file.GetTensorData(lookup.Inputs[1])).ToArray();
            for (int c = -128; c < 128; c++)
            {
                double expected = RealFunctions.Gelu(x.Scales[0] * c);
                double actual = s * (table[c + 128] - z);
                if (table[c + 128] is > -128 and < 127) Assert.True(Math.Abs(actual - expected) <= 0.5 * s + 1e-9, $"code {c}: {actual} vs {expected}");
            }

        }
    }

    [Fact]
    public void TheNextLinearsIntegerOutput_MatchesFloatOnTheDequantisedGeluCodes()
    {
        // Σ_k w·(q − z)·s_x·s_w + b_f, the float meaning of the codes, against the integer accumulator with the
        // folded bias: equal up to the bias rounding (½ accumulator LSB) for every code pattern.
        var image = EndToEnd.Calibrate("vit_l1");
        using var file = EdgnModel.Load(image);
        var lookup = file.Header.Nodes.First(n => n.OpType == IntegerOpNames.Lookup);
        var q = file.Header.Values.Single(v => v.Name == lookup.Outputs[0]).Quant!;
        var linear = file.Header.Nodes.Single(n => n.OpType == IntegerOpNames.Linear && n.Inputs[0] == lookup.Outputs[0]);
        var wt = file.Header.GetTensor(linear.Inputs[1]);
        int outN = (int)wt.Shape[0], k = (int)wt.Shape[1];
        var w = PackedWeights.Unpack(file.GetTensorData(wt), outN, k);
        var bias = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(file.GetTensorData(linear.Inputs[2])).ToArray();
        var graph = OnnxImporter.Import(TestPaths.Fixture("vit_l1.onnx"));
        var floatBias = graph.Initializers[graph.Nodes.Single(n => n.Name == linear.Name).Inputs[2]].F;
        var rng = new Random(5);
        for (int trial = 0; trial < 20; trial++)
        {
            var codes = Enumerable.Range(0, k).Select(_ => (sbyte)rng.Next(-128, 128)).ToArray();
            for (int r = 0; r < outN; r++)
            {
                long acc = bias[r];
                double real = floatBias[r];
                double accScale = (double)q.Scales[0] * wt.Quant!.Scales[r];
                for (int i = 0; i < k; i++)
                {
                    acc += (long)w[r * k + i] * codes[i];
                    real += w[r * k + i] * accScale * (codes[i] - q.ZeroPoints[0]);
                }
                Assert.True(Math.Abs(acc * accScale - real) <= 0.5 * accScale + 1e-9 * Math.Abs(real), $"row {r}: {acc * accScale} vs {real}");
            }
        }
    }
}
