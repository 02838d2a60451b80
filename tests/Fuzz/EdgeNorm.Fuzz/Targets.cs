using System.Diagnostics.CodeAnalysis;
using EdgeNorm.Model.Format;
using EdgeNorm.Model.Ir;
using EdgeNorm.Onnx;
using EdgeNorm.Runtime;

namespace EdgeNorm.Fuzz;

/// <summary>The fuzz targets: what one input goes through.</summary>
internal static class Targets
{
    /// <summary>Inputs larger than this are not worth a run (AFL keeps inputs small anyway).</summary>
    private const int MaxSampleElements = 1 << 20;

    private static readonly Dictionary<string, Action<byte[]>> All = new(StringComparer.Ordinal)
    {
        ["edgn"] = Edgn,
        ["onnx"] = Onnx,
    };

    public static IEnumerable<string> Names => All.Keys;

    public static bool TryGet(string name, [NotNullWhen(true)] out Action<byte[]>? target) => All.TryGetValue(name, out target);

    /// <summary>.edgn: read + validate, checksums, load into the runtime, and one run on zeros when it loads.</summary>
    private static void Edgn(byte[] input)
    {
        using (var file = EdgnModel.Load(input))
        {
            file.VerifyChecksums();
            foreach (var t in file.Header.Tensors) file.GetTensorData(t);
        }
        var model = EdgeNormModel.Load(input);
        foreach (var v in model.Inputs.Concat(model.Outputs))
            if (v.SampleElements > MaxSampleElements) return;
        var session = model.CreateSession();
        foreach (var v in model.Inputs)
        {
            if (v.ExternalType == DataType.Float32) session.SetInput(v.Name, new float[v.SampleElements]);
            else session.SetInput(v.Name, new long[v.SampleElements]);
        }
        session.Run(1);
        foreach (var v in model.Outputs) session.GetOutput(v.Name, new float[v.SampleElements]);
    }

    /// <summary>ONNX: parse, shape inference, folding, BN statistics and fusion (the calibrate path up to the float graph).</summary>
    private static void Onnx(byte[] input)
    {
        var graph = OnnxModelLoader.Load(input, baseDirectory: null, displayName: "fuzz.onnx");
        OnnxImporter.Process(graph);
    }
}
