using EdgeNorm.Calibration.MetaAug;
using EdgeNorm.Calibration.Quantization;
using EdgeNorm.Calibration.Tests.Gradients;
using EdgeNorm.Model.Ir;
using EdgeNorm.Onnx;
using EdgeNorm.Tests;
using Xunit;

namespace EdgeNorm.Calibration.Tests.MetaAug;

/// <summary>MetaAug's units, refusals, and the quantiser hook (a short run on a fixture: seconds).</summary>
public sealed class MetaAugEngineTests
{
    [Fact]
    public void ModelWithoutLinear_IsRefused_SayingWhy()
    {
        var g = new TestGraph();
        var y = g.Fused("Gelu", [g.Input("image", 2, 1, 4, 4)]);
        g.Outputs(y);
        var e = Assert.Throws<MetaAugException>(() => new MetaAugEngine<float>(g.Graph, 2, new float[32], new MetaAugOptions()));
        Assert.Contains("Linear", e.Message);
    }

    [Fact]
    public void VitUnits_AreTheTwoBlocksAndTheHead()
    {
        var graph = OnnxImporter.Import(TestPaths.Fixture("vit_prepbn.onnx"));
        var units = ReconstructionUnits.Find(graph);
        Assert.Equal(3, units.Count);
        Assert.Equal("/blocks.0/Add_1_output_0", units[0].Output);
        Assert.Equal("/blocks.1/Add_1_output_0", units[1].Output);
        Assert.Equal("logits", units[2].Output);
        Assert.Contains(units[0].Nodes, n => n.Contains("PatchEmbed"));
    }

    [Fact]
    public void ShortRun_TheQuantiserStoresTheChosenWeightsAndRanges_AndOtherwiseMatchesPlainMinmax()
    {
        var graph = OnnxImporter.Import(TestPaths.Fixture("vit_l1.onnx"));
        var data = new Dictionary<string, Tensor> { ["input"] = EndToEnd.Data.Value.Calib };
        var options = new MetaAugOptions { Iterations = 6, MetaSteps = 1, Batch = 4, Seed = 1 };
        var (result, samples) = MetaAugCalibrator.Run(graph, data, 8, 1, options);
        Assert.Equal(8, samples["input"].Shape[0]);
        Assert.Equal(graph.Nodes.Count(n => n.IsFused && n.OpType is "Linear" or "PatchEmbed"), result.LayerWeights.Count);

        var plain = Model.Format.EdgnModel.Load(Quantizer.Quantize(graph, samples, new QuantizerOptions()).ToArray());
        var meta = Model.Format.EdgnModel.Load(Quantizer.Quantize(graph, samples, new QuantizerOptions { Overrides = result }).ToArray());
        // the learned activation range of the input is the input's scale in the file (plain minmax has its own)
        Assert.Equal(result.Ranges["input"] / 127f, meta.Header.Inputs.Single().Quant!.Scales[0], 6);

        // chosen int8 weights are what the file stores; weights the quantiser changed (a fold) keep round-to-nearest
        var (name, layer) = result.LayerWeights.First();
        var flipped = (sbyte[])layer.Int8.Clone();
        flipped[0] = (sbyte)(flipped[0] == 0 ? 1 : -flipped[0]);
        var chosen = new MetaAugResult(new Dictionary<string, (float[], float[], sbyte[])> { [name] = (layer.Float, layer.Scales, flipped) }, new Dictionary<string, float>(), "");
        var other = new MetaAugResult(new Dictionary<string, (float[], float[], sbyte[])> { [name] = (layer.Float.Select(v => v * 2).ToArray(), layer.Scales, flipped) }, new Dictionary<string, float>(), "");
        var withChosen = Model.Format.EdgnModel.Load(Quantizer.Quantize(graph, samples, new QuantizerOptions { Overrides = chosen }).ToArray());
        var withOther = Model.Format.EdgnModel.Load(Quantizer.Quantize(graph, samples, new QuantizerOptions { Overrides = other }).ToArray());
        Assert.NotEqual(plain.GetTensorData(name + ".w").ToArray(), withChosen.GetTensorData(name + ".w").ToArray());
        Assert.Equal(plain.GetTensorData(name + ".w").ToArray(), withOther.GetTensorData(name + ".w").ToArray());
    }
}
