using EdgeNorm.Model.Ir;
using EdgeNorm.Onnx.Fusion;
using EdgeNorm.Tests;
using Xunit;

namespace EdgeNorm.Onnx.Tests;

/// <summary>What import makes of each fixture model: which fused ops, how many, and what is left as ONNX.</summary>
public class FixtureFusionTests
{
    private static ImportResult Import(string file)
    {
        var r = OnnxImporter.ImportWithReport(TestPaths.Fixture(file));
        TestContext.Current.TestOutputHelper?.WriteLine($"{file}: {r.Fusion}");
        return r;
    }

    private static IEnumerable<Node> Fused(Graph g, string op) => g.Nodes.Where(n => n.IsFused && n.OpType == op);

    /// <summary>The ViT skeleton all four digits models share: patch embedding, 2 × (attention + MLP), head.</summary>
    private static void AssertVitSkeleton(ImportResult r)
    {
        var g = r.Graph;
        var pe = Assert.Single(Fused(g, FusedOps.PatchEmbed));
        int dim = g.Initializers[pe.Inputs[1]].Shape[0];
        var attention = Fused(g, FusedOps.Attention).ToList();
        Assert.Equal(2, attention.Count);
        foreach (var a in attention)
        {
            Assert.Equal(1, a.GetInt(FusedOps.PackedQkv, 0));
            Assert.Equal(4, a.GetInt(FusedOps.NumHeads, 0));
            Assert.Equal(1.0 / Math.Sqrt(dim / 4), a.GetFloat(FusedOps.Scale, 0), 1e-6);
            Assert.Equal(3, a.Inputs.Count);
        }
        // qkv, proj, fc1, fc2 per block + the head (a Gemm).
        Assert.Equal(9, r.Fusion.Count(FusedOps.Linear));
        var gelus = Fused(g, FusedOps.Gelu).ToList();
        Assert.Equal(2, gelus.Count);
        Assert.All(gelus, n => Assert.Equal("none", n.GetString(FusedOps.Approximate)));
        foreach (var op in new[] { "MatMul", "Gemm", "Softmax", "Erf", "Conv", "Split", "Squeeze" })
            Assert.False(r.Fusion.OnnxOps.ContainsKey(op), $"{op} left unfused: {r.Fusion}");
        // The 4 residual adds + the position-embedding add.
        Assert.Equal(5, r.Fusion.OnnxOps.GetValueOrDefault("Add"));
    }

    [Theory]
    [InlineData("vit_ln_op13.onnx")]
    [InlineData("vit_ln_op17.onnx")]
    public void VitLayerNorm_FusesFiveLayerNormsTwoAttentionsTwoErfGelus(string file)
    {
        var r = Import(file);
        AssertVitSkeleton(r);
        var norms = Fused(r.Graph, FusedOps.LayerNorm).ToList();
        Assert.Equal(5, norms.Count);
        Assert.All(norms, n => Assert.Equal(1e-6f, n.GetFloat(FusedOps.Epsilon, 0), 1e-12f));
        foreach (var op in new[] { "ReduceMean", "Pow", "Sqrt", "LayerNormalization" })
            Assert.False(r.Fusion.OnnxOps.ContainsKey(op), $"{op} left unfused: {r.Fusion}");
    }

    [Fact]
    public void VitL1_FusesOneL1NormPerNormAndLeavesNoReduceMeanOrAbs()
    {
        var r = Import("vit_l1.onnx");
        AssertVitSkeleton(r);
        var norms = Fused(r.Graph, FusedOps.L1Norm).ToList();
        Assert.Equal(5, norms.Count); // 2 blocks × 2 + final
        Assert.All(norms, n =>
        {
            Assert.Equal(1.2533141f, n.GetFloat(FusedOps.MadScale, 0), 1e-6f);
            Assert.Equal(1e-5f, n.GetFloat(FusedOps.Epsilon, 0), 1e-11f);
        });
        Assert.False(r.Fusion.OnnxOps.ContainsKey("ReduceMean"), r.Fusion.ToString());
        Assert.False(r.Fusion.OnnxOps.ContainsKey("Abs"), r.Fusion.ToString());
        Assert.Empty(Fused(r.Graph, FusedOps.LayerNorm));
    }

    [Fact]
    public void VitPrepBn_FusesFiveRepBnsAndRecordsFiveBnStatistics()
    {
        var r = Import("vit_prepbn.onnx");
        AssertVitSkeleton(r);
        var g = r.Graph;
        int dim = g.Initializers[Assert.Single(Fused(g, FusedOps.PatchEmbed)).Inputs[1]].Shape[0];
        var repbn = Fused(g, FusedOps.RepBN).ToList();
        Assert.Equal(5, repbn.Count);
        Assert.False(r.Fusion.OnnxOps.ContainsKey("BatchNormalization"), r.Fusion.ToString());
        Assert.False(r.Fusion.OnnxOps.ContainsKey("Transpose"), r.Fusion.ToString());

        Assert.Equal(5, g.BnStatistics.Count);
        var inputsOfRepBn = repbn.Select(n => n.Inputs[0]).ToHashSet();
        foreach (var s in g.BnStatistics)
        {
            Assert.Equal(dim, s.Mean.Length);
            Assert.Equal(dim, s.Variance.Length);
            Assert.Equal(2, s.ChannelAxis);
            Assert.Equal(1e-5f, s.Epsilon, 1e-11f);
            Assert.Contains(s.InputTensor, inputsOfRepBn);
            Assert.All(s.Variance, v => Assert.True(v > 0));
        }
        // The statistics are the BN's own: the fused node carries the same running mean.
        foreach (var n in repbn)
        {
            var stat = Assert.Single(g.BnStatistics, s => s.InputTensor == n.Inputs[0]);
            Assert.Equal(stat.Mean, g.Initializers[n.Inputs[3]].F);
            Assert.Equal(1, g.Initializers[n.Inputs[5]].Length); // alpha
        }
    }

    [Fact]
    public void BertLang_FusesEmbeddingLayerNormMaskedAttentionTanhGelu()
    {
        var r = Import("bert_lang.onnx");
        var g = r.Graph;
        var emb = Fused(g, FusedOps.Embedding).ToList();
        Assert.NotEmpty(emb);
        Assert.Contains(emb, e => e.Inputs[0] == "input_ids");
        Assert.Equal(5, r.Fusion.Count(FusedOps.LayerNorm)); // embeddings + 2 layers × 2
        Assert.All(Fused(g, FusedOps.LayerNorm), n => Assert.Equal(1e-12f, n.GetFloat(FusedOps.Epsilon, 0), 1e-15f));
        var attention = Fused(g, FusedOps.Attention).ToList();
        Assert.Equal(2, attention.Count);
        foreach (var a in attention)
        {
            Assert.Equal(0, a.GetInt(FusedOps.PackedQkv, 1));
            Assert.Equal(4, a.GetInt(FusedOps.NumHeads, 0));
            Assert.Equal(4, a.Inputs.Count); // q, k, v, mask
            Assert.False(g.Initializers.ContainsKey(a.Inputs[3]));
        }
        Assert.Equal(attention[0].Inputs[3], attention[1].Inputs[3]); // one extended mask, shared
        var gelus = Fused(g, FusedOps.Gelu).ToList();
        Assert.Equal(2, gelus.Count);
        Assert.All(gelus, n => Assert.Equal("tanh", n.GetString(FusedOps.Approximate)));
        // q, k, v, dense, intermediate, output per layer + pooler + classifier.
        Assert.Equal(14, r.Fusion.Count(FusedOps.Linear));
        Assert.Equal(1, r.Fusion.OnnxOps.GetValueOrDefault("Tanh")); // the pooler's
        foreach (var op in new[] { "MatMul", "Gemm", "Softmax", "ReduceMean", "Pow", "Reshape" })
            Assert.False(r.Fusion.OnnxOps.ContainsKey(op), $"{op} left unfused: {r.Fusion}");
        Assert.Empty(g.BnStatistics);
    }

    [Fact]
    public void Import_WithoutFusion_KeepsOnlyOnnxOps()
    {
        var g = OnnxImporter.Import(TestPaths.Fixture("vit_prepbn.onnx"), new ImportOptions { Fuse = false });
        Assert.DoesNotContain(g.Nodes, n => n.IsFused);
        Assert.Equal(5, g.Nodes.Count(n => n.OpType == "BatchNormalization"));
        Assert.Equal(5, g.BnStatistics.Count);
    }
}
