using EdgeNorm.Calibration.Float;
using EdgeNorm.Model.Ir;
using Microsoft.ML.OnnxRuntime;
using Xunit;

namespace EdgeNorm.Onnx.Tests;

/// <summary>
/// The float reference executor, on the imported graph both unfused and fused, against ONNX Runtime on every
/// fixture's whole held-out set (batches of 256): max |logit difference| ≤ 1e-4 and identical top-1 on every
/// sample; fused vs unfused ≤ 1.5e-5 (float32 reassociation; measured ≤ 1.02e-5); top-1 accuracy equal to the torch accuracy in manifest.json (± 1 sample).
/// </summary>
public class OrtParityTests
{
    private const int BatchSize = 256;

    public static TheoryData<string> Models => new(FixtureData.Models);

    [Theory]
    [MemberData(nameof(Models))]
    public void FloatExecutor_MatchesOnnxRuntime_OnWholeHeldOutSet(string model)
    {
        var data = FixtureData.Load(model);
        var unfused = new FloatExecutor(OnnxImporter.Import(data.ModelPath, new ImportOptions { Fuse = false }));
        var fused = new FloatExecutor(OnnxImporter.Import(data.ModelPath));
        Assert.Contains(fused.Graph.Nodes, n => n.IsFused);

        using var options = new SessionOptions { IntraOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        using var session = new InferenceSession(data.ModelPath, options);
        string output = session.OutputNames[0];

        double maxUnfused = 0, maxFused = 0, maxFusedVsUnfused = 0;
        int correct = 0, top1Mismatch = 0;
        string firstMismatch = "";
        for (int start = 0; start < data.Count; start += BatchSize)
        {
            int n = Math.Min(BatchSize, data.Count - start);
            var batch = data.Batch(start, n);
            float[] ort = RunOrt(session, batch, output, out int classes);
            float[] u = unfused.Run(batch)[output].F;
            float[] f = fused.Run(batch)[output].F;
            Assert.Equal(ort.Length, u.Length);
            Assert.Equal(ort.Length, f.Length);
            for (int i = 0; i < ort.Length; i++)
            {
                maxUnfused = Math.Max(maxUnfused, Math.Abs(u[i] - ort[i]));
                maxFused = Math.Max(maxFused, Math.Abs(f[i] - ort[i]));
                maxFusedVsUnfused = Math.Max(maxFusedVsUnfused, Math.Abs(f[i] - u[i]));
            }
            for (int r = 0; r < n; r++)
            {
                int o = FixtureData.ArgMax(ort.AsSpan(r * classes, classes));
                int a = FixtureData.ArgMax(u.AsSpan(r * classes, classes));
                int b = FixtureData.ArgMax(f.AsSpan(r * classes, classes));
                if (a != o || b != o)
                {
                    if (top1Mismatch++ == 0) firstMismatch = $"sample {start + r}: ORT {o}, unfused {a}, fused {b}";
                }
                if (b == data.Labels[start + r]) correct++;
            }
        }
        double top1 = (double)correct / data.Count;
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{model}: n={data.Count} max|unfused-ORT|={maxUnfused:e2} max|fused-ORT|={maxFused:e2} max|fused-unfused|={maxFusedVsUnfused:e2} " +
            $"top1={top1:F4} (torch {data.TorchTop1:F4})");

        Assert.True(maxUnfused <= 1e-4, $"{model}: unfused executor vs ORT max |diff| {maxUnfused:e3} > 1e-4");
        Assert.True(maxFused <= 1e-4, $"{model}: fused executor vs ORT max |diff| {maxFused:e3} > 1e-4");
        Assert.True(maxFusedVsUnfused <= 1.5e-5, $"{model}: fused vs unfused max |diff| {maxFusedVsUnfused:e3} > 1.5e-5");
        Assert.True(top1Mismatch == 0, $"{model}: top-1 differs from ORT on {top1Mismatch} samples, first {firstMismatch}");
        int torchCorrect = (int)Math.Round(data.TorchTop1 * data.Count);
        Assert.True(Math.Abs(correct - torchCorrect) <= 1, $"{model}: {correct} correct, torch had {torchCorrect} of {data.Count}");
    }

    private static float[] RunOrt(InferenceSession session, Dictionary<string, Tensor> batch, string output, out int classes)
    {
        var values = new Dictionary<string, OrtValue>(StringComparer.Ordinal);
        try
        {
            foreach (var (name, t) in batch)
            {
                long[] shape = t.Shape.Select(d => (long)d).ToArray();
                values[name] = t.IsFloat
                    ? OrtValue.CreateTensorValueFromMemory(t.F, shape)
                    : OrtValue.CreateTensorValueFromMemory(t.L, shape);
            }
            using var runOptions = new RunOptions();
            using var outs = session.Run(runOptions, values, [output]);
            var info = outs[0].GetTensorTypeAndShape();
            classes = (int)info.Shape[^1];
            return outs[0].GetTensorDataAsSpan<float>().ToArray();
        }
        finally
        {
            foreach (var v in values.Values) v.Dispose();
        }
    }
}
