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
    public void Steps_StartFromTheDataCalibratorsRanges_OnTheQuantisersGrid()
    {
        var graph = OnnxImporter.Import(TestPaths.Fixture("vit_l1.onnx"));
        var x = EndToEnd.Data.Value.Calib;
        var data = new Dictionary<string, Tensor> { ["input"] = x };
        var minmax = Calibrators.RangeCalibration.Run(new Float.FloatExecutor(graph), data, "minmax");
        var percentile = Calibrators.RangeCalibration.Run(new Float.FloatExecutor(graph), data, "percentile", 0.99);
        var asymmetric = Quantizer.AsymmetricTensors(graph, "lut");
        Assert.NotEmpty(asymmetric);
        var own = new MetaAugEngine<float>(graph, 4, x.F, new MetaAugOptions()).Steps.ToDictionary(s => s.Tensor);
        var fromMinmax = new MetaAugEngine<float>(graph, 4, x.F, new MetaAugOptions(), minmax).Steps.ToDictionary(s => s.Tensor);
        var fromPercentile = new MetaAugEngine<float>(graph, 4, x.F, new MetaAugOptions(), percentile).Steps;
        foreach (var s in fromPercentile)
        {
            var r = percentile.Get(s.Tensor, DataType.Int8);
            var expected = asymmetric.Contains(s.Tensor) ? ActivationStep.Asymmetric(s.Tensor, r.Min, r.Max) : new ActivationStep(s.Tensor, r.MaxAbs / 127.0);
            Assert.Equal(expected.Step, s.Step, 12);
            Assert.Equal(expected.ZeroPoint, s.ZeroPoint);
            // the engine's own pass over the samples is minmax
            Assert.Equal(fromMinmax[s.Tensor].Step, own[s.Tensor].Step, 5);
            Assert.Equal(fromMinmax[s.Tensor].ZeroPoint, own[s.Tensor].ZeroPoint);
        }
        Assert.Contains(fromPercentile, s => s.Step < fromMinmax[s.Tensor].Step * 0.99);   // the 99 % clip is tighter somewhere
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
        Assert.Equal(result.Ranges["input"].Max / 127f, meta.Header.Inputs.Single().Quant!.Scales[0], 6);

        // a GELU table read by a Linear is asymmetric in the file, and MetaAug learned its step on that grid: the
        // file's scale is the learned step and its zero point the one MetaAug simulated (a symmetric range would
        // give zero point 0 and waste half the codes)
        var values = meta.Header.Values.ToDictionary(v => v.Name);
        var gelus = meta.Header.Nodes.Where(n => n.OpType == Runtime.IntegerOpNames.Lookup).Select(n => n.Outputs[0]).ToList();
        Assert.NotEmpty(gelus);
        var engineSteps = new MetaAugEngine<float>(graph, 4, samples["input"].F, options).Steps.ToDictionary(s => s.Tensor);
        foreach (var y in gelus)
        {
            var r = result.Ranges[y];
            Assert.True(r.Min < 0 && r.Max > -8 * r.Min, $"{y}: learned range [{r.Min}, {r.Max}] is not GELU's one-sided grid");
            var q = values[y].Quant!;
            Assert.Equal((r.Max - r.Min) / 255, q.Scales[0], 5);
            Assert.Equal(engineSteps[y].ZeroPoint, q.ZeroPoints[0]);
            Assert.InRange(q.ZeroPoints[0], -127, -100);
        }

        // chosen int8 weights are what the file stores; weights the quantiser changed (a fold) keep round-to-nearest
        var (name, layer) = result.LayerWeights.First();
        var flipped = (sbyte[])layer.Int8.Clone();
        flipped[0] = (sbyte)(flipped[0] == 0 ? 1 : -flipped[0]);
        var chosen = new MetaAugResult(new Dictionary<string, (float[], float[], sbyte[])> { [name] = (layer.Float, layer.Scales, flipped) }, new Dictionary<string, Calibrators.Range>(), "");
        var other = new MetaAugResult(new Dictionary<string, (float[], float[], sbyte[])> { [name] = (layer.Float.Select(v => v * 2).ToArray(), layer.Scales, flipped) }, new Dictionary<string, Calibrators.Range>(), "");
        var withChosen = Model.Format.EdgnModel.Load(Quantizer.Quantize(graph, samples, new QuantizerOptions { Overrides = chosen }).ToArray());
        var withOther = Model.Format.EdgnModel.Load(Quantizer.Quantize(graph, samples, new QuantizerOptions { Overrides = other }).ToArray());
        Assert.NotEqual(plain.GetTensorData(name + ".w").ToArray(), withChosen.GetTensorData(name + ".w").ToArray());
        Assert.Equal(plain.GetTensorData(name + ".w").ToArray(), withOther.GetTensorData(name + ".w").ToArray());
    }
}

/// <summary>The fake quantiser of activation edges on both grids (values, and the straight-through/LSQ gradients).</summary>
public sealed class ActivationQuantizerTests
{
    [Fact]
    public void SymmetricGrid_RoundsClampsAt127_AndGivesLsqGradients()
    {
        var step = new ActivationStep("x", 0.5) { Mode = ActivationMode.Quantize };
        var q = new ActivationQuantizer<double>(step, new Random(1), 0.5);
        double[] x = [0.26, -0.74, 100, -100];
        Assert.Equal([0.5, -0.5, 63.5, -63.5], q.Forward(x));
        var dx = new double[4];
        q.Backward(x, [1, 1, 1, 1], dx);
        Assert.Equal([1, 1, 0, 0], dx);
        // LSQ: round(u) − u inside (1 − 0.52, −1 + 1.48), ±127 outside
        Assert.Equal((1 - 0.52) + (-1 + 1.48) + 127 - 127, step.Gradient, 12);
        Assert.Equal(new Calibrators.Range(-63.5f, 63.5f), step.Range);
    }

    [Fact]
    public void AsymmetricGrid_IsTheQuantisersRule_AndItsRangeGivesBackTheSameScaleAndZeroPoint()
    {
        // GELU-like: [−0.17, 3.0] → scale 3.17/255, zero point −128 − round(−0.17/scale) = −114
        var step = ActivationStep.Asymmetric("y", -0.17, 3.0);
        double s = 3.17 / 255;
        Assert.Equal(s, step.Step, 12);
        Assert.Equal(-114, step.ZeroPoint);
        Assert.Equal(-128, step.Low);
        step.Mode = ActivationMode.Quantize;
        var q = new ActivationQuantizer<double>(step, new Random(1), 0.5);
        double[] x = [0, -1, 5, 1.0];
        var y = q.Forward(x);
        Assert.Equal(0, y[0]);                            // zero is exact
        Assert.Equal(s * (-128 + 114), y[1], 12);         // clamped at the lowest code
        Assert.Equal(s * (127 + 114), y[2], 12);          // and at the highest
        Assert.Equal(s * Math.Round(1.0 / s), y[3], 12);
        var dx = new double[4];
        q.Backward(x, [1, 1, 1, 1], dx);
        Assert.Equal([1, 0, 0, 1], dx);
        Assert.Equal(0 + (-128 + 114) + (127 + 114) + (Math.Round(1.0 / s) - 1.0 / s), step.Gradient, 9);

        // the range the overrides hand to the quantiser reproduces this scale and zero point under its rule
        var r = step.Range;
        double lo = Math.Min(0, r.Min), hi = Math.Max(0, r.Max), scale = (hi - lo) / 255;
        Assert.Equal(s, scale, 6);
        Assert.Equal(step.ZeroPoint, -128 - (long)Math.Round(lo / scale));
    }
}
