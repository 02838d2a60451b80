using EdgeNorm.Calibration.Float;
using EdgeNorm.Model.Ir;
using EdgeNorm.Onnx.Passes;
using EdgeNorm.Tests;
using Xunit;

namespace EdgeNorm.Onnx.Tests;

/// <summary>Shape inference, constant folding of torch's shape chains, and dead-node removal.</summary>
public class ParsingFoldingTests
{
    private const int F32 = 1;

    /// <summary>
    /// torch's <c>x.reshape(B, T, H, D // H)</c> with B, T, D = x.shape: Shape → Gather → Unsqueeze → Concat (with
    /// a Div for D // H) → Reshape. Only the batch entry depends on the input.
    /// </summary>
    private static ParsingModelBuilder TorchReshape(object batch)
    {
        var b = new ParsingModelBuilder().Input("x", F32, batch, 5, 12).Output("y", F32, batch, 5, 3, 4);
        b.Node("Shape", ["x"], ["s"]);
        b.Node("Gather", ["s", b.Ints(0)], ["b0"], attrs: ("axis", 0L));
        b.Graph.Initializer[^1].Dims.Clear();   // scalar index, as torch exports it
        b.Node("Gather", ["s", b.Ints(1)], ["t0"], attrs: ("axis", 0L));
        b.Graph.Initializer[^1].Dims.Clear();
        b.Node("Gather", ["s", b.Ints(2)], ["d0"], attrs: ("axis", 0L));
        b.Graph.Initializer[^1].Dims.Clear();
        b.Node("Div", ["d0", b.Ints(3)], ["dh"]);
        b.Graph.Initializer[^1].Dims.Clear();
        b.Node("Unsqueeze", ["b0", b.Ints(0)], ["ub"]);
        b.Node("Unsqueeze", ["t0", b.Ints(0)], ["ut"]);
        b.Node("Unsqueeze", ["dh", b.Ints(0)], ["ud"]);
        b.Node("Concat", ["ub", "ut", b.Ints(3), "ud"], ["shape"], attrs: ("axis", 0L));
        b.Node("Reshape", ["x", "shape"], ["y"]);
        return b;
    }

    private static float[] Iota(int n) => Enumerable.Range(0, n).Select(i => (float)i).ToArray();

    [Fact]
    public void ShapeGatherUnsqueezeConcatReshapeFoldsToAConstantShape()
    {
        var g = OnnxModelLoader.Load(TorchReshape("N").Bytes());
        var node = Assert.Single(g.Nodes);
        Assert.Equal("Reshape", node.OpType);
        var shape = g.Initializers[node.Inputs[1]];
        Assert.Equal([0L, 5, 3, 4], shape.L);      // batch entry copied from the input (0), the rest constant
        Assert.Equal([Dim.Sym("N"), Dim.Of(5), Dim.Of(3), Dim.Of(4)], g.ValueInfos["y"].Shape);
        var exec = new FloatExecutor(g);
        foreach (int batch in new[] { 1, 3 })
        {
            var y = exec.Run(new Dictionary<string, Tensor> { ["x"] = Tensor.FromFloats([batch, 5, 12], Iota(batch * 60)) })["y"];
            Assert.Equal([batch, 5, 3, 4], y.Shape);
            Assert.Equal(Iota(batch * 60), y.F);
        }
        Assert.Single(g.Initializers);  // the chain's constants are gone with it
    }

    [Fact]
    public void FixedBatchFoldsEverything()
    {
        var g = OnnxModelLoader.Load(TorchReshape(2).Bytes());
        var node = Assert.Single(g.Nodes);
        Assert.Equal([2L, 5, 3, 4], g.Initializers[node.Inputs[1]].L);
    }

    [Fact]
    public void DimValuesBindNamedDims()
    {
        var b = new ParsingModelBuilder().Input("x", F32, "N", "T").Output("y", F32, "N", "T");
        b.Node("Shape", ["x"], ["s"]);
        b.Node("Slice", ["s", b.Ints(1), b.Ints(2)], ["t"]);
        b.Node("ConstantOfShape", ["t"], ["ones"], attrs: ("value", OnnxTensors.ToProto(Tensor.FromFloats([1], [1f]), "")));
        b.Node("Mul", ["x", "ones"], ["y"]);
        var g = OnnxModelLoader.Load(b.Bytes(), options: new OnnxLoadOptions { DimValues = new Dictionary<string, long> { ["T"] = 6 } });
        Assert.Equal(["Mul"], g.Nodes.Select(n => n.OpType));
        Assert.Equal([6], g.Initializers[g.Nodes[0].Inputs[1]].Shape);
        // without the binding the chain stays (T is unknown)
        var unbound = OnnxModelLoader.Load(b.Bytes());
        Assert.Contains(unbound.Nodes, n => n.OpType == "ConstantOfShape");
    }

    [Fact]
    public void DeadNodesAndInitializersAreRemoved()
    {
        var b = new ParsingModelBuilder().Input("x", F32, "N", 2).Output("y", F32, "N", 2);
        b.Init("unused_w", Tensor.FromFloats([2], [1, 2]));
        b.Node("Relu", ["x"], ["y"]);
        b.Node("Neg", ["x"], ["dead1"]);
        b.Node("Mul", ["dead1", "unused_w"], ["dead2"]);
        var g = OnnxModelLoader.Load(b.Bytes());
        Assert.Equal(["Relu"], g.Nodes.Select(n => n.OpType));
        Assert.Empty(g.Initializers);
    }

    [Fact]
    public void ConstantSubgraphsFoldThroughTheFloatOps()
    {
        var b = new ParsingModelBuilder().Input("x", F32, "N", 3).Output("y", F32, "N", 2);
        b.Init("Wt", Tensor.FromFloats([2, 3], [1, 2, 3, 4, 5, 6]));
        b.Node("Transpose", ["Wt"], ["W"], attrs: ("perm", new long[] { 1, 0 }));
        b.Node("Sqrt", ["W"], ["Ws"]);
        b.Node("MatMul", ["x", "Ws"], ["y"]);
        var g = OnnxModelLoader.Load(b.Bytes());
        var mm = Assert.Single(g.Nodes);
        Assert.Equal("MatMul", mm.OpType);
        var w = g.Initializers[mm.Inputs[1]];
        Assert.Equal([3, 2], w.Shape);
        Assert.Equal(new[] { 1f, 4, 2, 5, 3, 6 }.Select(MathF.Sqrt), w.F);
    }

    [Fact]
    public void ConstantFoldingDoesNotMaterialiseHugeTensors()
    {
        var b = new ParsingModelBuilder().Input("x", F32, 1).Output("y", F32, 1);
        b.Node("ConstantOfShape", [b.Ints(1 << 15, 1 << 15)], ["big"]);
        b.Node("ReduceSum", ["big", b.Ints(0, 1)], ["s"], attrs: ("keepdims", 0L));
        b.Node("Add", ["x", "s"], ["y"]);
        var g = OnnxModelLoader.Load(b.Bytes(), options: new OnnxLoadOptions { CheckSupportedOps = true });
        Assert.Contains(g.Nodes, n => n.OpType == "ConstantOfShape");   // left for run time, not built at import
    }

    [Fact]
    public void ConcreteShapeInferenceForBatchOne()
    {
        var g = OnnxModelLoader.Load(TorchReshape("N").Bytes());
        var shapes = ShapeInference.InferForBatch(g, 1);
        Assert.Equal([Dim.Of(1), Dim.Of(5), Dim.Of(3), Dim.Of(4)], shapes["y"].Shape);
        Assert.Equal([Dim.Of(1), Dim.Of(5), Dim.Of(12)], shapes["x"].Shape);
    }

    [Theory]
    [InlineData("vit_ln_op13.onnx")]
    [InlineData("vit_ln_op17.onnx")]
    [InlineData("vit_l1.onnx")]
    [InlineData("vit_prepbn.onnx")]
    [InlineData("bert_lang.onnx")]
    public void TorchExportsFoldTheirShapeChains(string file)
    {
        var path = TestPaths.Fixture(file);
        if (!File.Exists(path)) return;
        var g = OnnxModelLoader.Load(path);
        // Every Reshape of activations (attention heads, patch flattening) gets a constant shape; only the
        // batch-dependent int shape vector of the cls-token Expand may stay computed.
        foreach (var n in g.Nodes.Where(n => n.OpType == "Reshape"))
        {
            bool ofFloat = g.ValueInfos.TryGetValue(n.Inputs[0], out var xi) ? xi.DataType == DataType.Float32 : true;
            if (ofFloat) Assert.True(g.Initializers.ContainsKey(n.Inputs[1]), $"{n.Name}: shape input '{n.Inputs[1]}' is not constant");
        }
        // at most the batch-dependent cls-token expansion keeps a Shape node
        Assert.True(g.Nodes.Count(n => n.OpType == "Shape") <= 1, string.Join(", ", g.Nodes.Where(n => n.OpType == "Shape").Select(n => n.Name)));
        Assert.DoesNotContain(g.Nodes, n => n.OpType is "Constant" or "ConstantOfShape" or "Equal");
        // the symbolic batch survives inference
        var logits = g.Outputs[0].Name;
        Assert.Equal(g.Inputs[0].Shape[0], g.ValueInfos.TryGetValue(logits, out var vi) ? vi.Shape[0] : g.Outputs[0].Shape[0]);
        // and concrete inference at batch 1 knows every node output
        var shapes = ShapeInference.InferForBatch(g, 1);
        foreach (var n in g.Nodes)
            foreach (var o in n.Outputs.Where(o => o.Length > 0))
                Assert.True(shapes.TryGetValue(o, out var si) && si.Shape.All(d => d.IsFixed), $"{n.Name}: '{o}' has no concrete shape");
    }
}
