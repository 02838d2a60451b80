using EdgeNorm.Model.Ir;
using EdgeNorm.Onnx.Fusion;
using Xunit;
using static EdgeNorm.Onnx.Tests.FusionGraphBuilder;

namespace EdgeNorm.Onnx.Tests;

/// <summary>
/// Each fusion pattern on a small hand-built graph in torch's export form: it fuses (and the fused graph
/// computes what the ONNX graph computes, to 1e-5), and it does not fuse with a wrong constant or when an
/// intermediate tensor is used outside the pattern.
/// </summary>
public class FusionPatternTests
{
    private static FusionReport Fuse(Graph g) => GraphFuser.Fuse(g);

    private static int Count(Graph g, string opType, bool fused = true) =>
        g.Nodes.Count(n => n.OpType == opType && n.IsFused == fused);

    private static Node Single(Graph g, string fusedOp) => Assert.Single(g.Nodes, n => n.IsFused && n.OpType == fusedOp);

    // ---------------- Linear ----------------

    [Fact]
    public void Linear_MatMulAddWithConstantWeight_FusesWithWeightStoredNByK()
    {
        var b = new FusionGraphBuilder();
        var x = b.Input("x", -1, 5, 8);
        var y = b.Linear(x, 8, 6);
        b.Output(y);
        var mmWeight = b.Graph.Initializers[b.Graph.Nodes[0].Inputs[1]];
        var expect = FusionNumerics.Run(b.Graph, seed: 3);
        Fuse(b.Graph);
        var lin = Single(b.Graph, FusedOps.Linear);
        Assert.Single(b.Graph.Nodes);
        var w = b.Graph.Initializers[lin.Inputs[1]];
        Assert.Equal([6, 8], w.Shape);
        Assert.Equal(mmWeight.F[1 * 6 + 2], w.F[2 * 8 + 1]); // W'[n=2,k=1] = W[k=1,n=2]
        Assert.Equal([6], b.Graph.Initializers[lin.Inputs[2]].Shape);
        FusionNumerics.AssertClose(expect, FusionNumerics.Run(b.Graph, seed: 3), 1e-5);
    }

    [Fact]
    public void Linear_GemmTransBAndPlainGemmWithAlphaBeta_Fuse()
    {
        var b = new FusionGraphBuilder();
        var x = b.Input("x", -1, 8);
        var g1 = b.Op("Gemm", [x, b.Random(6, 8), b.Random(6)], A("alpha", 1f), A("beta", 1f), A("transB", 1L));
        var g2 = b.Op("Gemm", [g1, b.Random(6, 4), b.Random(4)], A("alpha", 0.5f), A("beta", 2f));
        b.Output(g2);
        var expect = FusionNumerics.Run(b.Graph);
        Fuse(b.Graph);
        Assert.Equal(2, Count(b.Graph, FusedOps.Linear));
        Assert.Equal([4, 6], b.Graph.Initializers[b.Graph.Nodes[1].Inputs[1]].Shape);
        FusionNumerics.AssertClose(expect, FusionNumerics.Run(b.Graph), 1e-5);
    }

    [Fact]
    public void Linear_MatMulOfTwoActivations_IsNotALinear()
    {
        var b = new FusionGraphBuilder();
        var x = b.Input("x", -1, 4, 8);
        var y = b.Input("y", -1, 8, 4);
        b.Output(b.Op("MatMul", [x, y]));
        Fuse(b.Graph);
        Assert.Equal(1, Count(b.Graph, "MatMul", fused: false));
        Assert.Equal(0, Count(b.Graph, FusedOps.Linear));
    }

    [Fact]
    public void Linear_MatMulOutputUsedTwice_FusesMatMulAloneAndKeepsTheAdd()
    {
        var b = new FusionGraphBuilder();
        var x = b.Input("x", -1, 8);
        var mm = b.Op("MatMul", [x, b.Random(8, 6)]);
        var add = b.Op("Add", [mm, b.Random(6)]);
        b.Output(add);
        b.Output(b.Op("Relu", [mm]));
        var expect = FusionNumerics.Run(b.Graph);
        Fuse(b.Graph);
        var lin = Single(b.Graph, FusedOps.Linear);
        Assert.Equal(2, lin.Inputs.Count); // no bias
        Assert.Equal(1, Count(b.Graph, "Add", fused: false));
        FusionNumerics.AssertClose(expect, FusionNumerics.Run(b.Graph), 1e-5);
    }

    [Fact]
    public void Linear_BiasOfWrongLength_FusesMatMulAloneAndKeepsTheAdd()
    {
        var b = new FusionGraphBuilder();
        var x = b.Input("x", -1, 8);
        var mm = b.Op("MatMul", [x, b.Random(8, 6)]);
        b.Output(b.Op("Add", [mm, b.Random(1)]));
        var expect = FusionNumerics.Run(b.Graph);
        Fuse(b.Graph);
        Assert.Equal(2, Single(b.Graph, FusedOps.Linear).Inputs.Count);
        Assert.Equal(1, Count(b.Graph, "Add", fused: false));
        FusionNumerics.AssertClose(expect, FusionNumerics.Run(b.Graph), 0);
    }

    // ---------------- LayerNorm ----------------

    [Fact]
    public void LayerNorm_TorchDecomposition_Fuses()
    {
        var b = new FusionGraphBuilder();
        var x = b.Input("x", -1, 5, 16);
        b.Output(b.LayerNormDecomposed(x, 16, eps: 1e-6f));
        var expect = FusionNumerics.Run(b.Graph);
        Fuse(b.Graph);
        var ln = Single(b.Graph, FusedOps.LayerNorm);
        Assert.Single(b.Graph.Nodes);
        Assert.Equal(1e-6f, ln.GetFloat(FusedOps.Epsilon, 0));
        Assert.Equal("x", ln.Inputs[0]);
        FusionNumerics.AssertClose(expect, FusionNumerics.Run(b.Graph), 1e-5);
    }

    [Fact]
    public void LayerNorm_Opset17Op_Fuses()
    {
        var b = new FusionGraphBuilder();
        var x = b.Input("x", -1, 5, 16);
        b.Output(b.Op("LayerNormalization", [x, b.Random(0.2f, 1f, 16), b.Random(16)], A("axis", -1L), A("epsilon", 1e-12f)));
        b.Graph.Opset = 17;
        var expect = FusionNumerics.Run(b.Graph);
        Fuse(b.Graph);
        Assert.Equal(1e-12f, Single(b.Graph, FusedOps.LayerNorm).GetFloat(FusedOps.Epsilon, 0));
        FusionNumerics.AssertClose(expect, FusionNumerics.Run(b.Graph), 1e-5);
    }

    [Fact]
    public void LayerNorm_SquareAsMulAndWeightsBehindIdentity_FusesWithInitializerInputs()
    {
        var b = new FusionGraphBuilder();
        var x = b.Input("x", -1, 3, 8);
        var mean = b.Op("ReduceMean", [x], A("axes", new long[] { 2 }));
        var c = b.Op("Sub", [x, mean]);
        var var = b.Op("ReduceMean", [b.Op("Mul", [c, c])], A("axes", new long[] { -1 }));
        var div = b.Op("Div", [c, b.Op("Sqrt", [b.Op("Add", [b.Scalar(1e-5f), var])])]);
        var gamma = b.Op("Identity", [b.Random(0.2f, 1f, 8)]);
        b.Output(b.Op("Add", [b.Op("Mul", [gamma, div]), b.Op("Identity", [b.Random(8)])]));
        var expect = FusionNumerics.Run(b.Graph);
        Fuse(b.Graph);
        var ln = Single(b.Graph, FusedOps.LayerNorm);
        Assert.Single(b.Graph.Nodes);
        Assert.All(ln.Inputs.Skip(1), i => Assert.True(b.Graph.Initializers.ContainsKey(i)));
        FusionNumerics.AssertClose(expect, FusionNumerics.Run(b.Graph), 1e-5);
    }

    [Fact]
    public void LayerNorm_WrongExponent_DoesNotFuse()
    {
        var b = new FusionGraphBuilder();
        var x = b.Input("x", -1, 5, 16);
        b.Output(b.LayerNormDecomposed(x, 16, exponent: 3f));
        Fuse(b.Graph);
        Assert.Equal(0, Count(b.Graph, FusedOps.LayerNorm));
        Assert.Equal(2, Count(b.Graph, "ReduceMean", fused: false));
    }

    [Fact]
    public void LayerNorm_CenteredTensorUsedOutside_DoesNotFuse()
    {
        var b = new FusionGraphBuilder();
        var x = b.Input("x", -1, 5, 16);
        b.Output(b.LayerNormDecomposed(x, 16));
        var sub = b.Graph.Nodes.First(n => n.OpType == "Sub").Outputs[0];
        b.Output(b.Op("Relu", [sub]));
        Fuse(b.Graph);
        Assert.Equal(0, Count(b.Graph, FusedOps.LayerNorm));
    }

    // ---------------- L1Norm ----------------

    [Theory]
    [InlineData(1.2533141f, 1e-5f)]
    [InlineData(1.0f, 1e-5f)]
    [InlineData(null, 1e-5f)]
    [InlineData(2.0f, null)]
    public void L1Norm_FixtureForm_FusesWithItsConstants(float? k, float? eps)
    {
        var b = new FusionGraphBuilder();
        var x = b.Input("x", -1, 5, 16);
        b.Output(b.L1Norm(x, 16, k, eps));
        var expect = FusionNumerics.Run(b.Graph);
        Fuse(b.Graph);
        var n = Single(b.Graph, FusedOps.L1Norm);
        Assert.Single(b.Graph.Nodes);
        Assert.Equal(k ?? 1f, n.GetFloat(FusedOps.MadScale, 0));
        Assert.Equal(eps ?? 0f, n.GetFloat(FusedOps.Epsilon, -1));
        FusionNumerics.AssertClose(expect, FusionNumerics.Run(b.Graph), 1e-5);
    }

    [Fact]
    public void L1Norm_MadUsedOutside_DoesNotFuse()
    {
        var b = new FusionGraphBuilder();
        var x = b.Input("x", -1, 5, 16);
        b.Output(b.L1Norm(x, 16));
        var mad = b.Graph.Nodes.Where(n => n.OpType == "ReduceMean").Last().Outputs[0];
        b.Output(b.Op("Relu", [mad]));
        Fuse(b.Graph);
        Assert.Equal(0, Count(b.Graph, FusedOps.L1Norm));
        Assert.Equal(1, Count(b.Graph, "Abs", fused: false));
    }

    [Fact]
    public void L1Norm_ReduceOverWrongAxis_DoesNotFuse()
    {
        var b = new FusionGraphBuilder();
        var x = b.Input("x", -1, 5, 16);
        b.Output(b.L1Norm(x, 16));
        b.Graph.Nodes.Where(n => n.OpType == "ReduceMean").Last().Attributes["axes"] = Model.Ir.Attribute.Of(new long[] { 1 });
        Fuse(b.Graph);
        Assert.Equal(0, Count(b.Graph, FusedOps.L1Norm));
    }

    // ---------------- GELU ----------------

    [Fact]
    public void Gelu_TorchErfForm_Fuses()
    {
        var b = new FusionGraphBuilder();
        var x = b.Input("x", -1, 7);
        b.Output(b.GeluErf(x));
        var expect = FusionNumerics.Run(b.Graph);
        Fuse(b.Graph);
        Assert.Equal("none", Single(b.Graph, FusedOps.Gelu).GetString(FusedOps.Approximate));
        Assert.Equal(0, Count(b.Graph, "Erf", fused: false));
        FusionNumerics.AssertClose(expect, FusionNumerics.Run(b.Graph), 1e-5);
    }

    [Fact]
    public void Gelu_HalfTimesXFirstAndMulByInverseSqrt2_Fuses()
    {
        // HF: x * 0.5 * (1.0 + erf(x * 0.70710678)).
        var b = new FusionGraphBuilder();
        var x = b.Input("x", -1, 7);
        var half = b.Op("Mul", [x, b.Scalar(0.5f)]);
        var erf = b.Op("Erf", [b.Op("Mul", [x, b.Scalar(0.70710677f)])]);
        var plus = b.Op("Add", [b.Scalar(1f), erf]);
        b.Output(b.Op("Mul", [half, plus]));
        var expect = FusionNumerics.Run(b.Graph);
        Fuse(b.Graph);
        Single(b.Graph, FusedOps.Gelu);
        Assert.Single(b.Graph.Nodes);
        FusionNumerics.AssertClose(expect, FusionNumerics.Run(b.Graph), 1e-5);
    }

    [Fact]
    public void Gelu_WrongDivisor_DoesNotFuse()
    {
        var b = new FusionGraphBuilder();
        var x = b.Input("x", -1, 7);
        b.Output(b.GeluErf(x, sqrt2: 1.5f));
        Fuse(b.Graph);
        Assert.Equal(0, Count(b.Graph, FusedOps.Gelu));
    }

    [Fact]
    public void Gelu_ErfUsedOutside_DoesNotFuse()
    {
        var b = new FusionGraphBuilder();
        var x = b.Input("x", -1, 7);
        b.Output(b.GeluErf(x));
        b.Output(b.Graph.Nodes.First(n => n.OpType == "Erf").Outputs[0]);
        Fuse(b.Graph);
        Assert.Equal(0, Count(b.Graph, FusedOps.Gelu));
    }

    [Fact]
    public void Gelu_TorchTanhForm_Fuses()
    {
        var b = new FusionGraphBuilder();
        var x = b.Input("x", -1, 9);
        b.Output(b.GeluTanh(x));
        var expect = FusionNumerics.Run(b.Graph);
        Fuse(b.Graph);
        Assert.Equal("tanh", Single(b.Graph, FusedOps.Gelu).GetString(FusedOps.Approximate));
        Assert.Single(b.Graph.Nodes);
        FusionNumerics.AssertClose(expect, FusionNumerics.Run(b.Graph), 1e-5);
    }

    [Fact]
    public void Gelu_HfTanhFormWithPow3_Fuses()
    {
        // 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * pow(x, 3)))).
        var b = new FusionGraphBuilder();
        var x = b.Input("x", -1, 9);
        var half = b.Op("Mul", [x, b.Scalar(0.5f)]);
        var cube = b.Op("Pow", [x, b.Scalar(3f)]);
        var inner = b.Op("Add", [x, b.Op("Mul", [cube, b.Scalar(0.044715f)])]);
        var t = b.Op("Tanh", [b.Op("Mul", [inner, b.Scalar(0.7978846f)])]);
        b.Output(b.Op("Mul", [half, b.Op("Add", [t, b.Scalar(1f)])]));
        var expect = FusionNumerics.Run(b.Graph);
        Fuse(b.Graph);
        Assert.Equal("tanh", Single(b.Graph, FusedOps.Gelu).GetString(FusedOps.Approximate));
        FusionNumerics.AssertClose(expect, FusionNumerics.Run(b.Graph), 1e-5);
    }

    [Fact]
    public void Gelu_TanhWithWrongCubicCoefficient_DoesNotFuse()
    {
        var b = new FusionGraphBuilder();
        var x = b.Input("x", -1, 9);
        b.Output(b.GeluTanh(x, c: 0.04f));
        Fuse(b.Graph);
        Assert.Equal(0, Count(b.Graph, FusedOps.Gelu));
        Assert.Equal(1, Count(b.Graph, "Tanh", fused: false));
    }

    // ---------------- Attention ----------------

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Attention_TimmPackedQkv_Fuses(bool useGather)
    {
        var b = new FusionGraphBuilder();
        var x = b.Input("x", -1, 5, 16);
        b.Output(b.TimmAttention(x, 16, 4, useGather));
        var expect = FusionNumerics.Run(b.Graph);
        var report = Fuse(b.Graph);
        var att = Single(b.Graph, FusedOps.Attention);
        Assert.Equal(4, att.GetInt(FusedOps.NumHeads, 0));
        Assert.Equal(1, att.GetInt(FusedOps.PackedQkv, 0));
        Assert.Equal(0.5f, att.GetFloat(FusedOps.Scale, 0), 6);
        Assert.Equal(["Attention", "Linear", "Linear"], b.Graph.Nodes.Select(n => n.OpType).Order().ToArray());
        Assert.Equal(3, report.NodesAfter);
        FusionNumerics.AssertClose(expect, FusionNumerics.Run(b.Graph), 1e-5);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Attention_SequenceAxisAsMinusOne_FusesOnlyWhenTheWidthIsKnown(bool widthKnown)
    {
        var b = new FusionGraphBuilder();
        var x = b.Input("x", -1, 5, 16);
        b.Output(b.TimmAttention(x, 16, 4, sequenceAsMinusOne: true));
        var qkv = b.Graph.Nodes.First(n => n.OpType == "Reshape").Inputs[0];
        if (widthKnown) b.Graph.ValueInfos[qkv] = new ValueInfo(qkv, DataType.Float32, [Dim.Sym("N"), Dim.Of(5), Dim.Of(48)]);
        var expect = FusionNumerics.Run(b.Graph);
        Fuse(b.Graph);
        Assert.Equal(widthKnown ? 1 : 0, Count(b.Graph, FusedOps.Attention));
        FusionNumerics.AssertClose(expect, FusionNumerics.Run(b.Graph), 1e-5);
    }

    [Fact]
    public void Attention_BertSeparateProjectionsWithMask_Fuses()
    {
        var b = new FusionGraphBuilder();
        var x = b.Input("x", -1, 6, 16);
        var am = b.Input("attention_mask", DataType.Int64, -1, 6);
        b.Output(b.BertAttention(x, b.BertMask(am), 16, 2));
        var feeds = FusionNumerics.RandomFeeds(b.Graph, 5);
        feeds["attention_mask"] = Tensor.FromLongs(DataType.Int64, [2, 6], [1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 0]);
        var expect = FusionNumerics.Run(b.Graph, feeds);
        Fuse(b.Graph);
        var att = Single(b.Graph, FusedOps.Attention);
        Assert.Equal(2, att.GetInt(FusedOps.NumHeads, 0));
        Assert.Equal(0, att.GetInt(FusedOps.PackedQkv, 1));
        Assert.Equal(4, att.Inputs.Count);
        Assert.Equal(1f / MathF.Sqrt(8), att.GetFloat(FusedOps.Scale, 0), 6);
        Assert.Equal(4, Count(b.Graph, FusedOps.Linear));
        FusionNumerics.AssertClose(expect, FusionNumerics.Run(b.Graph, feeds), 1e-5);
    }

    [Fact]
    public void Attention_ProbabilitiesUsedOutside_DoesNotFuse()
    {
        var b = new FusionGraphBuilder();
        var x = b.Input("x", -1, 5, 16);
        b.Output(b.TimmAttention(x, 16, 4));
        b.Output(b.Graph.Nodes.First(n => n.OpType == "Softmax").Outputs[0]);
        Fuse(b.Graph);
        Assert.Equal(0, Count(b.Graph, FusedOps.Attention));
        Assert.Equal(1, Count(b.Graph, "Softmax", fused: false));
    }

    [Fact]
    public void Attention_ScaleThatIsNotAConstant_DoesNotFuse()
    {
        var b = new FusionGraphBuilder();
        var x = b.Input("x", -1, 5, 16);
        var s = b.Input("s", 1);
        b.Output(b.TimmAttention(x, 16, 4));
        var mul = b.Graph.Nodes.First(n => n.OpType == "Mul");
        mul.Inputs[1] = s;
        Fuse(b.Graph);
        Assert.Equal(0, Count(b.Graph, FusedOps.Attention));
    }

    [Fact]
    public void Attention_KeyNotTransposed_DoesNotFuse()
    {
        // q @ v-like product without kᵀ: the labels do not line up, so it is not attention.
        var b = new FusionGraphBuilder();
        var x = b.Input("x", -1, 5, 16);
        b.Output(b.TimmAttention(x, 16, 4));
        var kt = b.Graph.Nodes.First(n => n.OpType == "Transpose" && n.GetInts("perm")!.SequenceEqual(new long[] { 0, 1, 3, 2 }));
        kt.Attributes["perm"] = Model.Ir.Attribute.Of(new long[] { 0, 1, 2, 3 });
        Fuse(b.Graph);
        Assert.Equal(0, Count(b.Graph, FusedOps.Attention));
    }

    // ---------------- PatchEmbed ----------------

    [Fact]
    public void PatchEmbed_ConvKernelEqualsStrideThenFlattenTranspose_Fuses()
    {
        var b = new FusionGraphBuilder();
        var x = b.Input("x", -1, 3, 8, 6);
        b.Output(b.PatchEmbed(x, 3, 10, 2));
        var expect = FusionNumerics.Run(b.Graph);
        Fuse(b.Graph);
        var pe = Single(b.Graph, FusedOps.PatchEmbed);
        Assert.Single(b.Graph.Nodes);
        Assert.Equal([2L, 2], pe.GetInts(FusedOps.KernelShape)!);
        FusionNumerics.AssertClose(expect, FusionNumerics.Run(b.Graph), 1e-5);
    }

    [Fact]
    public void PatchEmbed_OverlappingConv_DoesNotFuse()
    {
        var b = new FusionGraphBuilder();
        var x = b.Input("x", -1, 3, 8, 8);
        b.Output(b.PatchEmbed(x, 3, 10, 2, stride: 1));
        Fuse(b.Graph);
        Assert.Equal(0, Count(b.Graph, FusedOps.PatchEmbed));
        Assert.Equal(1, Count(b.Graph, "Conv", fused: false));
    }

    // ---------------- RepBN / BatchNorm / statistics ----------------

    [Fact]
    public void RepBn_TransposeBnAlphaTranspose_FusesAndStatisticsNameTheTokenTensor()
    {
        var b = new FusionGraphBuilder();
        var x = b.Input("x", -1, 5, 12);
        var h = b.Op("Relu", [x]);
        b.Output(b.RepBn(h, 12));
        var expect = FusionNumerics.Run(b.Graph);
        var result = OnnxImporter.Process(b.Graph);
        var stat = Assert.Single(b.Graph.BnStatistics);
        Assert.Equal(h, stat.InputTensor);
        Assert.Equal(2, stat.ChannelAxis);
        Assert.Equal(12, stat.Mean.Length);
        Assert.Equal(1e-5f, stat.Epsilon);
        var rep = Single(b.Graph, FusedOps.RepBN);
        Assert.Equal(h, rep.Inputs[0]);
        Assert.Equal(6, rep.Inputs.Count);
        Assert.Equal(1, result.Fusion.Count(FusedOps.RepBN));
        FusionNumerics.AssertClose(expect, FusionNumerics.Run(b.Graph), 1e-5);
    }

    [Fact]
    public void RepBn_AlphaNotConstant_FusesOnlyThePlainBn()
    {
        var b = new FusionGraphBuilder();
        var x = b.Input("x", -1, 5, 12);
        var alpha = b.Input("alpha", 1);
        b.Output(b.RepBn(x, 12));
        b.Graph.Nodes.First(n => n.OpType == "Mul").Inputs[0] = alpha;
        Fuse(b.Graph);
        Assert.Equal(0, Count(b.Graph, FusedOps.RepBN));
        Assert.Equal(1, Count(b.Graph, FusedOps.BatchNorm));
    }

    [Fact]
    public void BatchNorm_PlainNchw_FusesWithChannelAxisOneStatistics()
    {
        var b = new FusionGraphBuilder();
        var x = b.Input("x", -1, 4, 3, 3);
        b.Output(b.Op("BatchNormalization", [x, b.Random(0.3f, 1f, 4), b.Random(4), b.Random(4), b.Random(0.4f, 1f, 4)], A("epsilon", 1e-3f)));
        var expect = FusionNumerics.Run(b.Graph);
        OnnxImporter.Process(b.Graph);
        var stat = Assert.Single(b.Graph.BnStatistics);
        Assert.Equal(("x", 1), (stat.InputTensor, stat.ChannelAxis));
        Single(b.Graph, FusedOps.BatchNorm);
        FusionNumerics.AssertClose(expect, FusionNumerics.Run(b.Graph), 1e-5);
    }

    // ---------------- Embedding ----------------

    [Fact]
    public void Embedding_GatherFromTableByInputIds_Fuses()
    {
        var b = new FusionGraphBuilder();
        var ids = b.Input("ids", DataType.Int64, -1, 4);
        var table = b.Random(10, 6);
        var tok = b.Op("Gather", [table, ids]);
        var pos = b.Op("Gather", [b.Random(4, 6), b.Ints(0, 1, 2, 3)]);
        b.Output(b.Op("Add", [tok, pos]));
        var feeds = new Dictionary<string, Tensor> { ["ids"] = Tensor.FromLongs(DataType.Int64, [2, 4], [1, 9, 0, 3, 4, 4, -1, 2]) };
        var expect = FusionNumerics.Run(b.Graph, feeds);
        Fuse(b.Graph);
        var e = Single(b.Graph, FusedOps.Embedding);
        Assert.Equal(["ids", table], e.Inputs);
        Assert.Equal(1, Count(b.Graph, "Gather", fused: false)); // constant indices: left to constant folding
        FusionNumerics.AssertClose(expect, FusionNumerics.Run(b.Graph, feeds), 0);
    }

    // ---------------- whole-block and import plumbing ----------------

    [Fact]
    public void Fuse_PreNormViTBlock_LeavesOnlyResidualAdds()
    {
        var b = new FusionGraphBuilder();
        var x = b.Input("x", -1, 5, 16);
        var h = b.Op("Add", [x, b.TimmAttention(b.LayerNormDecomposed(x, 16), 16, 4)]);
        var m = b.Linear(b.GeluErf(b.Linear(b.LayerNormDecomposed(h, 16), 16, 32)), 32, 16);
        b.Output(b.Op("Add", [h, m]));
        var expect = FusionNumerics.Run(b.Graph);
        var report = Fuse(b.Graph);
        Assert.Equal(new Dictionary<string, int> { ["Attention"] = 1, ["Gelu"] = 1, ["LayerNorm"] = 2, ["Linear"] = 4 }, report.FusedOps);
        Assert.Equal(new Dictionary<string, int> { ["Add"] = 2 }, report.OnnxOps);
        Assert.Contains("Attention×1", report.ToString());
        FusionNumerics.AssertClose(expect, FusionNumerics.Run(b.Graph), 1e-5);
    }

    [Fact]
    public void Process_OnAnAlreadyFusedGraph_KeepsTheStatisticsAndChangesNothing()
    {
        var b = new FusionGraphBuilder();
        var x = b.Input("x", -1, 5, 12);
        b.Output(b.RepBn(x, 12));
        OnnxImporter.Process(b.Graph);
        var nodes = b.Graph.Nodes.ToList();
        var again = OnnxImporter.Process(b.Graph);
        Assert.Single(b.Graph.BnStatistics);
        Assert.Equal(nodes, b.Graph.Nodes);
        Assert.All(again.Fusion.Matches, kv => Assert.Equal(0, kv.Value));
    }

    [Fact]
    public void Process_WithFuseFalse_KeepsTheOnnxGraphButCapturesStatistics()
    {
        var b = new FusionGraphBuilder();
        var x = b.Input("x", -1, 5, 12);
        b.Output(b.RepBn(x, 12));
        int before = b.Graph.Nodes.Count;
        var result = OnnxImporter.Process(b.Graph, new ImportOptions { Fuse = false });
        Assert.Equal(before, b.Graph.Nodes.Count);
        Assert.Single(b.Graph.BnStatistics);
        Assert.Empty(result.Fusion.FusedOps);
    }
}
