using EdgeNorm.Calibration.Quantization;
using EdgeNorm.Model.Ir;
using EdgeNorm.Onnx;
using EdgeNorm.Onnx.Export;
using EdgeNorm.Onnx.Proto;
using EdgeNorm.Onnx.Writer;
using Google.Protobuf;

namespace EdgeNorm.Bench.Compare;

/// <summary>The four model files of one comparison, all from one float ONNX and one calibration.</summary>
internal sealed record ModelFiles(string Name, string Onnx, string Edgn, string Qdq, string Dynamic)
{
    public string For(string engine) => engine switch
    {
        "edgenorm-int8" => Edgn,
        "ort-fp32" => Onnx,
        "ort-int8-dynamic" => Dynamic,
        "ort-int8-qdq" => Qdq,
        _ => throw new ArgumentException($"unknown engine {engine}"),
    };
}

internal static class Preparation
{
    /// <summary>
    /// "deit" builds the DeiT-Tiny-shaped PRepBN ViT with the ONNX writer (seed 1); any other value is a float ONNX
    /// path with one float input. Calibration: <paramref name="calibSamples"/> N(0, 1) inputs, minmax (fixed seed). With
    /// <paramref name="reuse"/>, the four files already in <paramref name="work"/> are used as they are (repeated runs).
    /// </summary>
    public static ModelFiles Prepare(string model, string work, int calibSamples, TextWriter log, bool reuse = false)
    {
        string name = model == "deit" ? "deit-tiny" : Path.GetFileNameWithoutExtension(model);
        string onnx = model == "deit" ? Path.Combine(work, "deit-tiny.onnx") : Path.GetFullPath(model);
        var files = new ModelFiles(name, onnx, Path.Combine(work, name + ".edgn"), Path.Combine(work, name + ".qdq.onnx"), Path.Combine(work, name + ".dynamic.onnx"));
        if (reuse && new[] { files.Onnx, files.Edgn, files.Qdq, files.Dynamic }.All(File.Exists))
        {
            log.WriteLine($"reusing the models in {work}");
            return files;
        }
        if (model == "deit")
        {
            log.WriteLine($"writing {onnx} (DeiT-Tiny shape, random weights, seed 1)");
            SyntheticVit.Build(VitShape.DeitTiny, seed: 1).Save(onnx);
        }
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var graph = OnnxImporter.Import(onnx);
        var input = graph.Inputs.Single(i => i.DataType == DataType.Float32);
        int[] sample = input.Shape.Skip(1).Select(d => d.IsFixed ? (int)d.Size : throw new ArgumentException($"input '{input.Name}' needs fixed non-batch dimensions")).ToArray();
        var rng = new Random(1234);
        var data = new float[calibSamples * sample.Aggregate(1, (a, b) => a * b)];
        for (int i = 0; i < data.Length; i++) data[i] = Normal(rng);
        log.WriteLine($"calibrating on {calibSamples} random N(0,1) inputs …");
        Quantizer.Quantize(graph, new Dictionary<string, Tensor> { [input.Name] = Tensor.FromFloats([calibSamples, .. sample], data) },
            new QuantizerOptions { GoldenSamples = 1, BatchSize = 2 }).WriteFile(files.Edgn);
        log.WriteLine($"{files.Edgn} written ({sw.Elapsed.TotalSeconds:F0} s)");
        QdqExporter.Export(files.Edgn, files.Qdq);
        var (dynamic, replaced) = DynamicQuantization.Apply(ModelProto.Parser.ParseFrom(File.ReadAllBytes(onnx)));
        OnnxFiles.WriteAtomically(files.Dynamic, dynamic.ToByteArray());
        log.WriteLine($"{files.Qdq} and {files.Dynamic} written ({replaced} MatMuls → DynamicQuantizeMatMul)");
        return files;
    }

    public static float Normal(Random rng) =>
        (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));
}
