using Xunit;
using Attribute = EdgeNorm.Model.Ir.Attribute;

namespace EdgeNorm.Calibration.Tests.Gradients;

/// <summary>
/// Every backward rule against central finite differences in float64 (calibration.md §6.4: relative error ≤ 1e-5).
/// Each graph is one op (or a few, where an op needs a safe operand), random inputs in [−1, 1].
/// </summary>
public sealed class OpGradientTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-5;

    private void Check(TestGraph g, string[]? seeds = null)
    {
        double err = GradientCheck.RelativeError(g.Graph, g.Shapes, seeds: seeds);
        output.WriteLine($"relative error {err:E2}");
        Assert.True(err <= Tolerance, $"relative error {err:E3} > {Tolerance:E0}");
    }

    [Fact]
    public void Linear_WithBias()
    {
        var g = new TestGraph();
        var y = g.Fused("Linear", [g.Input("x", 2, 3, 4), g.Weight([5, 4]), g.Weight([5])]);
        Check(g.Outputs(y));
    }

    [Fact]
    public void MatMul_BothOperandsActive_BatchBroadcast()
    {
        var g = new TestGraph();
        var y = g.Op("MatMul", [g.Input("a", 2, 3, 4), g.Input("b", 1, 4, 5)]);
        Check(g.Outputs(y));
    }

    [Fact]
    public void PatchEmbed_ConvAsMatmul()
    {
        var g = new TestGraph();
        var y = g.Fused("PatchEmbed", [g.Input("x", 2, 2, 4, 6), g.Weight([5, 2, 2, 2]), g.Weight([5])], ("kernel_shape", Attribute.Of(new long[] { 2, 2 })));
        Check(g.Outputs(y));
    }

    [Fact]
    public void Attention_PackedQkv()
    {
        var g = new TestGraph();
        var y = g.Fused("Attention", [g.Input("qkv", 2, 5, 24), "", ""],
            ("num_heads", Attribute.Of(2L)), ("scale", Attribute.Of(0.8f)), ("packed_qkv", Attribute.Of(1L)));
        Check(g.Outputs(y));
    }

    [Fact]
    public void Attention_SeparateQkv_ConstantMask()
    {
        var g = new TestGraph();
        var y = g.Fused("Attention", [g.Input("q", 2, 3, 8), g.Input("k", 2, 5, 8), g.Input("v", 2, 5, 8), g.Weight([1, 1, 3, 5], 2)],
            ("num_heads", Attribute.Of(2L)), ("scale", Attribute.Of(0.7f)));
        Check(g.Outputs(y));
    }

    [Theory]
    [InlineData("none")]
    [InlineData("tanh")]
    public void Gelu(string form)
    {
        var g = new TestGraph();
        var y = g.Fused("Gelu", [g.Input("x", 3, 7)], ("approximate", Attribute.Of(form)));
        Check(g.Outputs(y));
    }

    [Fact]
    public void LayerNorm_WithAffine()
    {
        var g = new TestGraph();
        var y = g.Fused("LayerNorm", [g.Input("x", 2, 3, 6), g.Weight([6], 0.5, 1), g.Weight([6])], ("epsilon", Attribute.Of(1e-5f)));
        Check(g.Outputs(y));
    }

    [Fact]
    public void L1Norm_WithAffine()
    {
        var g = new TestGraph();
        var y = g.Fused("L1Norm", [g.Input("x", 2, 3, 6), g.Weight([6], 0.5, 1), g.Weight([6])],
            ("epsilon", Attribute.Of(1e-5f)), ("mad_scale", Attribute.Of(1.2533141f)));
        Check(g.Outputs(y));
    }

    [Fact]
    public void RepBN_WithAlpha()
    {
        var g = new TestGraph();
        var y = g.Fused("RepBN", [g.Input("x", 2, 3, 4), g.Weight([4], 0.5, 1), g.Weight([4]), g.Weight([4]), g.Weight([4], 0.4, 1), g.Weight([1])],
            ("epsilon", Attribute.Of(1e-5f)));
        Check(g.Outputs(y));
    }

    [Fact]
    public void BatchNorm_ChannelAxisOne()
    {
        var g = new TestGraph();
        var y = g.Fused("BatchNorm", [g.Input("x", 2, 3, 2, 2), g.Weight([3], 0.5, 1), g.Weight([3]), g.Weight([3]), g.Weight([3], 0.4, 1)],
            ("epsilon", Attribute.Of(1e-5f)));
        Check(g.Outputs(y));
    }

    [Theory]
    [InlineData("Add")]
    [InlineData("Sub")]
    [InlineData("Mul")]
    public void Binary_Broadcast_BothActive(string op)
    {
        var g = new TestGraph();
        var y = g.Op(op, [g.Input("a", 2, 3, 4), g.Input("b", 3, 1)]);
        Check(g.Outputs(y));
    }

    [Fact]
    public void Div_BySafeDenominator_AndSameInputTwice()
    {
        var g = new TestGraph();
        var b = g.Input("b", 3, 4);
        var den = g.Op("Add", [g.Op("Mul", [b, b]), g.Weight([1], 0.1, 1)]);   // b² + ~1 stays away from 0
        var y = g.Op("Div", [g.Input("a", 2, 3, 4), den]);
        Check(g.Outputs(y));
    }

    [Fact]
    public void Softmax_MiddleAxis()
    {
        var g = new TestGraph();
        var y = g.Op("Softmax", [g.Input("x", 2, 4, 3)], ("axis", Attribute.Of(1L)));
        Check(g.Outputs(y));
    }

    [Fact]
    public void Softmax_Opset11_FlattensFromAxis()
    {
        var g = new TestGraph(opset: 11);
        var y = g.Op("Softmax", [g.Input("x", 2, 4, 3)], ("axis", Attribute.Of(1L)));
        Check(g.Outputs(y));
    }

    [Fact]
    public void DataMovement_ReshapeTransposeSliceConcatGatherSplitExpand()
    {
        var g = new TestGraph();
        var x = g.Input("x", 2, 3, 4);
        var r = g.Op("Reshape", [x, g.Ints(2, 4, 3)]);
        var t = g.Op("Transpose", [r], ("perm", Attribute.Of(new long[] { 0, 2, 1 })));            // [2,3,4]
        var s = g.Op("Slice", [t, g.Ints(1), g.Ints(4), g.Ints(2), g.Ints(2)]);                   // [2,3,2]
        var c = g.Op("Concat", [s, g.Weight([2, 3, 1]), t], ("axis", Attribute.Of(2L)));         // [2,3,7], constant in the middle
        var gathered = g.Op("Gather", [c, g.ScalarInt(1)], ("axis", Attribute.Of(1L)));          // [2,7]
        var parts = g.Ops("Split", "", [gathered, g.Ints(3, 4)], 2, ("axis", Attribute.Of(1L)));
        var e = g.Op("Expand", [g.Op("Unsqueeze", [parts[0], g.Ints(1)]), g.Ints(2, 2, 3)]);      // [2,2,3]: broadcast copies
        var f = g.Op("Flatten", [e], ("axis", Attribute.Of(1L)));
        var sq = g.Op("Squeeze", [g.Op("Unsqueeze", [parts[1], g.Ints(0)]), g.Ints(0)]);
        Check(g.Outputs(f, sq));
    }
}
