using EdgeNorm.Calibration.Float;
using EdgeNorm.Calibration.Quantization;
using EdgeNorm.Model.Ir;
using EdgeNorm.Onnx.Fusion;
using EdgeNorm.Onnx.Writer;
using EdgeNorm.Runtime;
using Microsoft.ML.OnnxRuntime;
using OrtOptions = Microsoft.ML.OnnxRuntime.SessionOptions;
using OrtSession = Microsoft.ML.OnnxRuntime.InferenceSession;
using Xunit;

namespace EdgeNorm.Onnx.Tests;

/// <summary>
/// The ONNX writer's synthetic DeiT-shaped ViT (a 2-block, 64×64 variant of the benchmark model): it imports, fuses
/// completely, its float reference run matches ONNX Runtime, and the quantiser turns it into a working .edgn.
/// </summary>
public class WriterSyntheticVitTests
{
    private static readonly VitShape Small = VitShape.DeitTiny with { Depth = 2, Image = 64 };

    [Fact]
    public void SyntheticVit_SameSeed_SameBytes_OtherSeed_OtherBytes()
    {
        var a = SyntheticVit.Build(Small, seed: 3).ToBytes();
        Assert.Equal(a, SyntheticVit.Build(Small, seed: 3).ToBytes());
        Assert.NotEqual(a, SyntheticVit.Build(Small, seed: 4).ToBytes());
    }

    [Fact]
    public void SyntheticVit_ImportsFusesFullyAndMatchesOnnxRuntime()
    {
        using var dir = new TempDir();
        string path = dir.File("vit.onnx");
        SyntheticVit.Build(Small).Save(path);
        var result = OnnxImporter.ImportWithReport(path);

        int depth = Small.Depth;
        Assert.Equal(1, result.Fusion.FusedOps.GetValueOrDefault(FusedOps.PatchEmbed));
        Assert.Equal(4 * depth + 1, result.Fusion.FusedOps.GetValueOrDefault(FusedOps.Linear));
        Assert.Equal(depth, result.Fusion.FusedOps.GetValueOrDefault(FusedOps.Attention));
        Assert.Equal(depth, result.Fusion.FusedOps.GetValueOrDefault(FusedOps.Gelu));
        Assert.Equal(2 * depth + 1, result.Fusion.FusedOps.GetValueOrDefault(FusedOps.RepBN));
        // Left unfused: residual/position Adds, the cls token (Expand, Concat) and its selection (Gather), and
        // the int64 shape arithmetic feeding Expand — nothing that computes on float activations otherwise.
        string[] glue = ["Add", "Concat", "Expand", "Gather", "Shape", "Unsqueeze"];
        var leftover = result.Fusion.OnnxOps.Keys.Except(glue).ToList();
        Assert.True(leftover.Count == 0, "unfused ops left: " + string.Join(", ", leftover));
        Assert.Equal(2 * depth + 1, result.Fusion.OnnxOps.GetValueOrDefault("Add"));

        var x = RandomInput(2, seed: 7);
        var ours = new FloatExecutor(result.Graph).Run(new Dictionary<string, Tensor> { ["input"] = x })["logits"].F;
        using var options = new OrtOptions { IntraOpNumThreads = 1 };
        using var session = new OrtSession(path, options);
        using var input = OrtValue.CreateTensorValueFromMemory(x.F, [2, 3, Small.Image, Small.Image]);
        using var runOptions = new RunOptions();
        using var outs = session.Run(runOptions, new Dictionary<string, OrtValue> { ["input"] = input }, ["logits"]);
        var ort = outs[0].GetTensorDataAsSpan<float>().ToArray();
        Assert.Equal(2 * Small.Classes, ort.Length);
        double maxAbs = ort.Max(Math.Abs), maxDiff = 0;
        for (int i = 0; i < ort.Length; i++) maxDiff = Math.Max(maxDiff, Math.Abs(ort[i] - ours[i]));
        Assert.True(maxAbs > 0.1, $"logits degenerate (max |logit| {maxAbs})");
        Assert.True(maxDiff <= 1e-4 * Math.Max(1, maxAbs), $"float executor vs ORT: max |diff| {maxDiff:e3} (max |logit| {maxAbs:g3})");
    }

    [Fact]
    public void SyntheticVit_QuantisesAndRunsInteger()
    {
        using var dir = new TempDir();
        string path = dir.File("vit.onnx");
        SyntheticVit.Build(Small).Save(path);
        var graph = OnnxImporter.Import(path);
        var builder = Quantizer.Quantize(graph, new Dictionary<string, Tensor> { ["input"] = RandomInput(4, seed: 1) },
            new QuantizerOptions { GoldenSamples = 1 });
        var model = EdgeNormModel.Load(builder.ToArray());
        var session = model.CreateSession(new EdgeNorm.Runtime.SessionOptions { MaxBatch = 1 });
        var x = RandomInput(1, seed: 9);
        var y = new float[model.Outputs[0].SampleElements];
        session.Run(x.F, y);
        var f = new FloatExecutor(graph).Run(new Dictionary<string, Tensor> { ["input"] = x })["logits"].F;
        Assert.Equal(f.Length, y.Length);
        // Random weights give no margin-rich logits; require the integer logits to follow the float ones (correlation).
        Assert.True(Correlation(f, y) > 0.9, $"integer vs float logits correlation {Correlation(f, y):F3}");
    }

    internal static Tensor RandomInput(int n, int seed)
    {
        var rng = new Random(seed);
        var data = new float[n * 3 * Small.Image * Small.Image];
        for (int i = 0; i < data.Length; i++) data[i] = (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));
        return Tensor.FromFloats([n, 3, Small.Image, Small.Image], data);
    }

    private static double Correlation(float[] a, float[] b)
    {
        double ma = a.Average(), mb = b.Average(), sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            sab += (a[i] - ma) * (b[i] - mb);
            saa += (a[i] - ma) * (a[i] - ma);
            sbb += (b[i] - mb) * (b[i] - mb);
        }
        return sab / Math.Sqrt(saa * sbb);
    }
}
