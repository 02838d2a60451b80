using EdgeNorm.Calibration.Float;
using EdgeNorm.Calibration.Quantization;
using EdgeNorm.Model.Format;
using EdgeNorm.Model.Ir;
using EdgeNorm.Model.Npy;
using EdgeNorm.Onnx;
using EdgeNorm.Runtime;
using EdgeNorm.Tests;
using Xunit;

namespace EdgeNorm.Calibration.Tests;

/// <summary>
/// Calibrate each digits ViT on digits_calib_x.npy (256 samples), run the integer model on the whole held-out set
/// (3,573 samples) and hold issue #4's "done when" (docs/accuracy.md): default log2-family softmax → top-1 within
/// 1.0 point of float and ≥ 97 % agreement with the float model's predictions; <c>--softmax linear</c> → within
/// 0.5 point and ≥ 99 %. The float top-1 is the float reference executor's, pinned in docs/fusion.md and checked
/// against ONNX Runtime by EdgeNorm.Onnx.Tests. One class per fixture so xunit runs them in parallel.
/// </summary>
internal static class EndToEnd
{
    public const int Samples = 3573;

    public static readonly Lazy<(Tensor X, long[] Y, Tensor Calib)> Data = new(() => (
        Npy.ReadTensor(TestPaths.Fixture("digits_test_x.npy")),
        Npy.ReadTensor(TestPaths.Fixture("digits_test_y.npy")).L,
        Npy.ReadTensor(TestPaths.Fixture("digits_calib_x.npy"))));

    /// <summary>Largest allowed drop (samples) and smallest agreement (fraction) for a softmax family, issue #4.</summary>
    public static (int MaxDrop, double MinAgreement) Criteria(string softmax, int samples) => softmax == "linear"
        ? ((int)Math.Floor(0.005 * samples), 0.99)
        : ((int)Math.Floor(0.010 * samples), 0.97);

    public static byte[] Calibrate(string fixture, string softmax = "log2", string fold = "auto")
    {
        var graph = OnnxImporter.Import(TestPaths.Fixture(fixture + ".onnx"));
        return Quantizer.Quantize(graph, new Dictionary<string, Tensor> { ["input"] = Data.Value.Calib },
            new QuantizerOptions { Softmax = softmax, PrepBnFold = fold }).ToArray();
    }

    /// <summary>The default softmax's budget in samples of 3,573 (1.0 point), for other tests' accuracy checks.</summary>
    public const int BudgetSamples = 35;

    /// <summary>Correct top-1 predictions of the integer model on the held-out set.</summary>
    public static int Correct(EdgeNormModel model)
    {
        var predicted = Predict(model);
        return predicted.Where((p, i) => p == Data.Value.Y[i]).Count();
    }

    /// <summary>Top-1 class of every held-out sample with the integer model.</summary>
    public static int[] Predict(EdgeNormModel model)
    {
        var (x, _, _) = Data.Value;
        const int batch = 128;
        var session = model.CreateSession(new SessionOptions { MaxBatch = batch });
        int n = x.Shape[0], per = (int)(x.Length / n);
        var logits = new float[batch * 10];
        var predicted = new int[n];
        for (int start = 0; start < n; start += batch)
        {
            int count = Math.Min(batch, n - start);
            session.Run(x.F.AsSpan(start * per, count * per), logits.AsSpan(0, count * 10));
            ArgMax(logits, count, 10, predicted.AsSpan(start, count));
        }
        return predicted;
    }

    /// <summary>Top-1 class of every held-out sample with the float reference executor.</summary>
    private static int[] PredictFloat(string fixture)
    {
        var graph = OnnxImporter.Import(TestPaths.Fixture(fixture + ".onnx"));
        var executor = new FloatExecutor(graph);
        var x = Data.Value.X;
        int n = x.Shape[0];
        var predicted = new int[n];
        for (int start = 0; start < n; start += 256)
        {
            int count = Math.Min(256, n - start);
            var logits = executor.Run(new Dictionary<string, Tensor> { ["input"] = EndToEnd.Rows(x, start, count) })[graph.Outputs[0].Name];
            ArgMax(logits.F, count, (int)(logits.Length / count), predicted.AsSpan(start, count));
        }
        return predicted;
    }

    /// <summary>Samples [start, start + count) of a batch-first tensor.</summary>
    public static Tensor Rows(Tensor t, int start, int count)
    {
        int row = (int)(t.Length / t.Shape[0]);
        int[] shape = [count, .. t.Shape[1..]];
        return t.IsFloat
            ? Tensor.FromFloats(shape, t.F.AsSpan(start * row, count * row).ToArray())
            : Tensor.FromLongs(t.DataType, shape, t.L.AsSpan(start * row, count * row).ToArray());
    }

    public static void ArgMax(ReadOnlySpan<float> logits, int rows, int classes, Span<int> best)
    {
        for (int i = 0; i < rows; i++)
        {
            var row = logits.Slice(i * classes, classes);
            int b = 0;
            for (int c = 1; c < classes; c++) if (row[c] > row[b]) b = c;
            best[i] = b;
        }
    }

    /// <summary>Asserts issue #4's accuracy criteria for one integer model against the float predictions.</summary>
    public static void AssertCriteria(string what, string softmax, int[] predicted, int[] floatPredicted, IReadOnlyList<long> labels,
        int floatCorrect, ITestOutputHelper output)
    {
        int n = predicted.Length, correct = 0, agree = 0;
        for (int i = 0; i < n; i++)
        {
            if (predicted[i] == labels[i]) correct++;
            if (predicted[i] == floatPredicted[i]) agree++;
        }
        int floatCheck = floatPredicted.Where((p, i) => p == labels[i]).Count();
        Assert.Equal(floatCorrect, floatCheck); // the pinned float top-1 is what the float executor gives today
        var (maxDrop, minAgreement) = Criteria(softmax, n);
        output.WriteLine($"{what} ({softmax}): integer {correct}/{n} = {correct / (double)n:P2}, float {floatCorrect}/{n} = {floatCorrect / (double)n:P2}, " +
            $"agreement {agree}/{n} = {agree / (double)n:P2}");
        Assert.True(floatCorrect - correct <= maxDrop, $"{what} ({softmax}): integer top-1 {correct} vs float {floatCorrect} (at most {maxDrop} fewer)");
        Assert.True(agree >= minAgreement * n, $"{what} ({softmax}): agreement {agree}/{n} below {minAgreement:P0}");
    }

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<int[]>> FloatPredictions = new();

    /// <summary>The float executor's top-1 on the held-out set, computed once per fixture per test run.</summary>
    public static int[] FloatPredicted(string fixture) =>
        FloatPredictions.GetOrAdd(fixture, f => new Lazy<int[]>(() => PredictFloat(f))).Value;

    public static void Check(string fixture, int floatCorrect, ITestOutputHelper output, string softmax = "log2", string fold = "auto")
    {
        var image = Calibrate(fixture, softmax, fold);
        var predicted = Predict(EdgeNormModel.Load(image));
        AssertCriteria(fixture, softmax, predicted, FloatPredicted(fixture), Data.Value.Y, floatCorrect, output);

        // The golden set the quantiser stored reproduces bit-exactly when the written file is run again.
        using var file = EdgnModel.Load(image);
        var golden = Assert.Single(file.Header.GoldenSets);
        var gx = file.GetTensorData<float>(golden.Inputs["input"]).ToArray();
        var gy = file.GetTensorData<float>(golden.Outputs["logits"]).ToArray();
        var model = EdgeNormModel.Load(image);
        var y = new float[gy.Length];
        model.CreateSession(new SessionOptions { MaxBatch = gx.Length / 64 }).Run(gx, y);
        Assert.Equal(gy, y);
    }
}

public class EndToEndPrepBnTests(ITestOutputHelper output)
{
    [Fact] public void VitPrepbn_Log2_WithinIssueCriteria() => EndToEnd.Check("vit_prepbn", 3373, output);
    [Fact] public void VitPrepbn_Linear_WithinIssueCriteria() => EndToEnd.Check("vit_prepbn", 3373, output, "linear");
    [Fact] public void VitPrepbn_Log2_RequantFold_WithinIssueCriteria() => EndToEnd.Check("vit_prepbn", 3373, output, "log2", "requant");
}

public class EndToEndL1Tests(ITestOutputHelper output)
{
    [Fact] public void VitL1_Log2_WithinIssueCriteria() => EndToEnd.Check("vit_l1", 3415, output);
    [Fact] public void VitL1_Linear_WithinIssueCriteria() => EndToEnd.Check("vit_l1", 3415, output, "linear");
}

public class EndToEndLayerNormTests(ITestOutputHelper output)
{
    [Fact] public void VitLnOp17_Log2_WithinIssueCriteria() => EndToEnd.Check("vit_ln_op17", 3385, output);
    [Fact] public void VitLnOp17_Linear_WithinIssueCriteria() => EndToEnd.Check("vit_ln_op17", 3385, output, "linear");
}

public class EndToEndLayerNormOp13Tests(ITestOutputHelper output)
{
    [Fact] public void VitLnOp13_Log2_WithinIssueCriteria() => EndToEnd.Check("vit_ln_op13", 3385, output);
    [Fact] public void VitLnOp13_Linear_WithinIssueCriteria() => EndToEnd.Check("vit_ln_op13", 3385, output, "linear");
}
