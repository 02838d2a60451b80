using EdgeNorm.Calibration.Quantization;
using EdgeNorm.Model.Ir;
using EdgeNorm.Model.Npy;
using EdgeNorm.Onnx.Export;
using EdgeNorm.Onnx.Proto;
using EdgeNorm.Runtime;
using EdgeNorm.Tests;
using Microsoft.ML.OnnxRuntime;
using Xunit;
using OrtOptions = Microsoft.ML.OnnxRuntime.SessionOptions;
using OrtSession = Microsoft.ML.OnnxRuntime.InferenceSession;

namespace EdgeNorm.Onnx.Tests;

/// <summary>
/// export-qdq on the calibrated PRepBN fixture: ONNX Runtime loads the export, its optimised graph runs int8 matmul
/// kernels, and on the whole digits test set its top-1 agrees with EdgeNorm's integer run on ≥ 97 % of samples and its
/// logits stay within the quantisation error (max |diff| ≤ 50 % of the largest |logit|, mean |diff| ≤ 3 %; accuracies
/// within one percentage point). Measured: agreement 97.4 %, mean |diff| 2.5 %, accuracy 94.3 % vs 94.5 %.
/// </summary>
public class ExportQdqTests
{
    private static readonly string[] Int8Kernels =
        ["QLinearMatMul", "MatMulInteger", "MatMulIntegerToFloat", "DynamicQuantizeMatMul", "QGemm", "QLinearConv"];

    [Fact]
    public void ExportQdq_VitPrepBn_OrtRunsInt8KernelsAndAgreesWithIntegerRun()
    {
        using var dir = new TempDir();
        var graph = OnnxImporter.Import(TestPaths.Fixture("vit_prepbn.onnx"));
        var calib = Npy.ReadTensor(TestPaths.Fixture("digits_calib_x.npy"));
        string edgn = dir.File("m.edgn"), qdq = dir.File("m.qdq.onnx"), optimised = dir.File("opt.onnx");
        Quantizer.Quantize(graph, new Dictionary<string, Tensor> { ["input"] = calib }, new QuantizerOptions()).WriteFile(edgn);
        QdqExporter.Export(edgn, qdq);
        Assert.Empty(Directory.GetFiles(dir.Path, "*.tmp"));

        using var options = new OrtOptions { IntraOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_EXTENDED, OptimizedModelFilePath = optimised };
        using var session = new OrtSession(qdq, options);
        var ops = ModelProto.Parser.ParseFrom(File.ReadAllBytes(optimised)).Graph.Node.Select(n => n.OpType).ToList();
        int int8 = ops.Count(Int8Kernels.Contains);
        TestContext.Current.TestOutputHelper?.WriteLine("optimised graph: " + string.Join(", ", ops.GroupBy(o => o).Select(g => $"{g.Key}×{g.Count()}")));

        var x = Npy.ReadTensor(TestPaths.Fixture("digits_test_x.npy"));
        var labels = Npy.ReadTensor(TestPaths.Fixture("digits_test_y.npy")).L;
        int n = x.Shape[0];
        var model = EdgeNormModel.Load(File.ReadAllBytes(edgn));
        var ours = model.CreateSession(new EdgeNorm.Runtime.SessionOptions { MaxBatch = n });
        ours.SetInput("input", x.F);
        ours.Run(n);
        int classes = model.Outputs[0].SampleElements;
        var y = new float[n * classes];
        ours.GetOutput(model.Outputs[0].Name, y);

        using var input = OrtValue.CreateTensorValueFromMemory(x.F, x.Shape.Select(d => (long)d).ToArray());
        using var runOptions = new RunOptions();
        using var outs = session.Run(runOptions, new Dictionary<string, OrtValue> { ["input"] = input }, session.OutputNames);
        var ort = outs[0].GetTensorDataAsSpan<float>().ToArray();
        Assert.Equal(y.Length, ort.Length);

        int agree = 0, ortCorrect = 0, ourCorrect = 0;
        double maxDiff = 0, sumDiff = 0, maxLogit = 0;
        for (int r = 0; r < n; r++)
        {
            int a = FixtureData.ArgMax(ort.AsSpan(r * classes, classes)), b = FixtureData.ArgMax(y.AsSpan(r * classes, classes));
            if (a == b) agree++;
            if (a == labels[r]) ortCorrect++;
            if (b == labels[r]) ourCorrect++;
        }
        for (int i = 0; i < y.Length; i++)
        {
            double d = Math.Abs(ort[i] - y[i]);
            maxDiff = Math.Max(maxDiff, d);
            sumDiff += d;
            maxLogit = Math.Max(maxLogit, Math.Abs(y[i]));
        }
        double meanDiff = sumDiff / y.Length;
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"n={n} top-1 agreement {agree}/{n}; accuracy ORT QDQ {ortCorrect}/{n}, EdgeNorm {ourCorrect}/{n}; max|diff| {maxDiff:g3} mean|diff| {meanDiff:g3} max|logit| {maxLogit:g3}");
        // vit_prepbn: patch embedding + 2 blocks × 4 linears + head = 10 matmuls; all but the patch-embedding conv must be int8.
        Assert.True(int8 >= 9, $"only {int8} int8 kernels in ORT's optimised graph: {string.Join(", ", ops.Distinct())}");
        Assert.True(agree >= 0.97 * n, $"top-1 agreement {agree}/{n} < 97 %");
        // The integer softmax (log2 codes) and integer norms differ from ORT's float ones sample by sample: a bound on the
        // worst logit and a tighter one on the mean; both engines' accuracies within one percentage point.
        Assert.True(maxDiff <= 0.5 * maxLogit, $"max |logit diff| {maxDiff:g3} > 50 % of max |logit| {maxLogit:g3}");
        Assert.True(Math.Abs(ortCorrect - ourCorrect) <= 0.01 * n, $"accuracy ORT QDQ {ortCorrect}/{n} vs EdgeNorm {ourCorrect}/{n} differ by more than 1 point");
        Assert.True(meanDiff <= 0.03 * maxLogit, $"mean |logit diff| {meanDiff:g3} > 3 % of max |logit| {maxLogit:g3}");
    }

    [Fact]
    public void ExportQdq_NotAnEdgnFile_ThrowsModelFormatError()
    {
        using var dir = new TempDir();
        string bad = dir.File("bad.edgn");
        File.WriteAllBytes(bad, [1, 2, 3, 4]);
        Assert.ThrowsAny<EdgeNorm.Model.EdgeNormException>(() => QdqExporter.Export(bad, dir.File("out.onnx")));
        Assert.False(File.Exists(dir.File("out.onnx")));
    }
}
