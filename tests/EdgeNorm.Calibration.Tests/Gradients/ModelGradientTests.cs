using EdgeNorm.Calibration.Autodiff;
using EdgeNorm.Calibration.Float;
using EdgeNorm.Model.Ir;
using EdgeNorm.Model.Npy;
using EdgeNorm.Onnx;
using EdgeNorm.Tests;
using Xunit;
using Attribute = EdgeNorm.Model.Ir.Attribute;

namespace EdgeNorm.Calibration.Tests.Gradients;

/// <summary>
/// Whole models against finite differences in float64 (relative error ≤ 1e-5), seeded at the logits and at every BN
/// input at once (what ZeroQ's loss reads): a one-block fused ViT built here and the vit_prepbn fixture.
/// </summary>
public sealed class ModelGradientTests(ITestOutputHelper output)
{
    /// <summary>
    /// PatchEmbed → [cls; patches] + pos → RepBN → qkv → Attention → proj → +residual → LayerNorm → fc1 → GELU → fc2
    /// → +residual → L1Norm → token 0 → head: every fused op of the ViT family on one path.
    /// </summary>
    internal static (TestGraph Graph, string BnInput) OneBlockVit()
    {
        const int d = 8;
        var g = new TestGraph(seed: 3);
        var x = g.Input("image", 2, 1, 4, 4);
        var patches = g.Fused("PatchEmbed", [x, g.Weight([d, 1, 2, 2]), g.Weight([d])]);             // [2,4,8]
        var cls = g.Op("Expand", [g.Weight([1, 1, d]), g.Ints(2, 1, d)]);
        var tokens = g.Op("Add", [g.Op("Concat", [cls, patches], ("axis", Attribute.Of(1L))), g.Weight([1, 5, d])]);
        var bn = g.Fused("RepBN", [tokens, g.Weight([d], 0.5, 1), g.Weight([d]), g.Weight([d]), g.Weight([d], 0.4, 1), g.Weight([1])],
            ("epsilon", Attribute.Of(1e-5f)));
        var qkv = g.Fused("Linear", [bn, g.Weight([3 * d, d]), g.Weight([3 * d])]);
        var attn = g.Fused("Attention", [qkv, "", ""], ("num_heads", Attribute.Of(2L)), ("scale", Attribute.Of(0.5f)), ("packed_qkv", Attribute.Of(1L)));
        var res1 = g.Op("Add", [tokens, g.Fused("Linear", [attn, g.Weight([d, d]), g.Weight([d])])]);
        var ln = g.Fused("LayerNorm", [res1, g.Weight([d], 0.5, 1), g.Weight([d])], ("epsilon", Attribute.Of(1e-6f)));
        var hidden = g.Fused("Gelu", [g.Fused("Linear", [ln, g.Weight([2 * d, d]), g.Weight([2 * d])])]);
        var res2 = g.Op("Add", [res1, g.Fused("Linear", [hidden, g.Weight([d, 2 * d]), g.Weight([d])])]);
        var l1 = g.Fused("L1Norm", [res2, g.Weight([d], 0.5, 1), g.Weight([d])], ("epsilon", Attribute.Of(1e-5f)));
        var first = g.Op("Gather", [l1, g.ScalarInt(0)], ("axis", Attribute.Of(1L)));
        var logits = g.Fused("Linear", [first, g.Weight([3, d]), g.Weight([3])]);
        g.Outputs(logits);
        return (g, tokens);
    }

    [Fact]
    public void OneBlockFusedVit_LogitsAndBnInput()
    {
        var (g, bnInput) = OneBlockVit();
        double err = GradientCheck.RelativeError(g.Graph, g.Shapes, seeds: [g.Graph.Outputs[0].Name, bnInput]);
        output.WriteLine($"relative error {err:E2}");
        Assert.True(err <= 1e-5, $"relative error {err:E3}");
    }

    [Fact]
    public void VitPrepbn_TwoSamples_WithRespectToInput()
    {
        var graph = OnnxImporter.Import(TestPaths.Fixture("vit_prepbn.onnx"));
        var test = Npy.ReadTensor(TestPaths.Fixture("digits_test_x.npy"));
        var x = test.F.AsSpan(0, 2 * 64).ToArray().Select(v => (double)v).ToArray();
        string[] seeds = [.. graph.Outputs.Select(o => o.Name), .. graph.BnStatistics.Select(b => b.InputTensor)];
        Assert.Equal(6, seeds.Length);
        double err = GradientCheck.RelativeError(graph, new Dictionary<string, int[]> { ["input"] = [2, 1, 8, 8] },
            new Dictionary<string, double[]> { ["input"] = x }, seeds);
        output.WriteLine($"relative error {err:E2}");
        Assert.True(err <= 1e-5, $"relative error {err:E3}");
    }

    [Fact]
    public void VitPrepbn_FloatTapeForward_MatchesFloatExecutor()
    {
        var graph = OnnxImporter.Import(TestPaths.Fixture("vit_prepbn.onnx"));
        var test = Npy.ReadTensor(TestPaths.Fixture("digits_test_x.npy"));
        const int n = 32;
        var x = test.F.AsSpan(0, n * 64).ToArray();
        var tape = new Tape<float>(graph, new Dictionary<string, int[]> { ["input"] = [n, 1, 8, 8] });
        tape.Forward(new Dictionary<string, float[]> { ["input"] = x });
        var names = graph.BnStatistics.Select(b => b.InputTensor).Append("logits").ToArray();
        var reference = new FloatExecutor(graph).Run(new Dictionary<string, Tensor> { ["input"] = Tensor.FromFloats([n, 1, 8, 8], x) }, names);
        foreach (var name in names)
        {
            var a = tape.Value(name);
            var b = reference[name].F;
            double max = 0;
            for (int i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs(a[i] - b[i]));
            output.WriteLine($"{name}: max |tape − executor| = {max:E2}");
            Assert.True(max <= 1e-4, $"{name}: {max:E3}");
        }
    }

    [Fact]
    public void FloatTape_GradientWithinFloat32Tolerance()
    {
        // calibration.md §6.4: in float32 the analytic gradient agrees with the float64 one to ≤ 1e-2 relative.
        var (g, bnInput) = OneBlockVit();
        var rng = new Random(5);
        var x = GradientCheck.Random(rng, 2 * 16);
        string[] seeds = [g.Graph.Outputs[0].Name, bnInput];
        var t64 = new Tape<double>(g.Graph, g.Shapes);
        var t32 = new Tape<float>(g.Graph, g.Shapes);
        t64.Forward(new Dictionary<string, double[]> { ["image"] = x });
        t32.Forward(new Dictionary<string, float[]> { ["image"] = x.Select(v => (float)v).ToArray() });
        var w = seeds.ToDictionary(s => s, s => GradientCheck.Random(rng, t64.Value(s).Length));
        var g64 = t64.Backward(w)["image"];
        var g32 = t32.Backward(w.ToDictionary(kv => kv.Key, kv => kv.Value.Select(v => (float)v).ToArray()))["image"];
        double diff = 0, norm = 0;
        for (int i = 0; i < g64.Length; i++) { diff += Math.Pow(g64[i] - g32[i], 2); norm += g64[i] * g64[i]; }
        double err = Math.Sqrt(diff / norm);
        output.WriteLine($"float32 vs float64 relative error {err:E2}");
        Assert.True(err <= 1e-2);
    }

    [Fact]
    public void TapeRefusesOpWithoutRule_NamingTheNode()
    {
        var g = new TestGraph();
        var y = g.Op("Relu", [g.Input("x", 2, 3)]);
        var e = Assert.Throws<GradientException>(() => new Tape<double>(g.Outputs(y).Graph, g.Shapes));
        Assert.Contains("Relu", e.Message);
    }

    [Fact]
    public void TapeRefusesIntegerResultOfInputValue()
    {
        var g = new TestGraph();
        var y = g.Op("ArgMax", [g.Input("x", 2, 3)], ("axis", Attribute.Of(1L)));
        var e = Assert.Throws<GradientException>(() => new Tape<double>(g.Outputs(y).Graph, g.Shapes));
        Assert.Contains("integer", e.Message);
    }
}
