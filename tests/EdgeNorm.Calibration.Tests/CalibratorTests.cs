using EdgeNorm.Calibration.Calibrators;
using EdgeNorm.Calibration.Quantization;
using EdgeNorm.Model.Ir;
using EdgeNorm.Onnx;
using EdgeNorm.Runtime;
using EdgeNorm.Tests;
using Xunit;

namespace EdgeNorm.Calibration.Tests;

public class CalibratorTests(ITestOutputHelper output)
{
    [Fact]
    public void MinMax_StreamsOverBatches()
    {
        var c = new MinMaxCalibrator();
        c.Observe("a", Tensor.FromFloats([3], [1f, -2f, float.NaN]));
        c.Observe("a", Tensor.FromFloats([2], [0.5f, 3f]));
        Assert.Equal(new Calibrators.Range(-2f, 3f), c.Get("a"));
        Assert.Equal(3f, c.Get("a").MaxAbs);
        Assert.Throws<QuantizationException>(() => c.Get("b"));
    }

    [Fact]
    public void Percentile_ClipsTheTail()
    {
        var minmax = new MinMaxCalibrator();
        var values = Enumerable.Range(1, 10_000).Select(i => (float)i).Append(-1e6f).ToArray(); // one outlier
        var t = Tensor.FromFloats([values.Length], values);
        minmax.Observe("x", t);
        var p = new PercentileCalibrator(minmax, 0.999);
        p.Observe("x", t);
        var r = p.Get("x");
        Assert.Equal(-1e6f, minmax.Get("x").Min);
        Assert.InRange(-r.Min, 9_990, 10_300); // ≈ the 99.9 % point of |x| (bin width 1e6/4096 ≈ 244)
        Assert.Equal(10_000f, r.Max); // the clip never widens a side beyond what was observed
    }

    [Fact]
    public void Percentile_VitPrepbn_WithinBudget()
    {
        var graph = OnnxImporter.Import(TestPaths.Fixture("vit_prepbn.onnx"));
        var image = Quantizer.Quantize(graph, new Dictionary<string, Tensor> { ["input"] = EndToEnd.Data.Value.Calib },
            new QuantizerOptions { Method = "percentile" }).ToArray();
        var model = EdgeNormModel.Load(image);
        Assert.Equal("percentile", model.Metadata["calibration.method"]);
        int correct = EndToEnd.Correct(model);
        output.WriteLine($"vit_prepbn percentile: {correct}/3573");
        Assert.True(3373 - correct <= EndToEnd.BudgetSamples, $"integer {correct} vs float 3373");
    }
}
