using EdgeNorm.Model.Ir;
using EdgeNorm.Onnx.Fusion;

namespace EdgeNorm.Onnx;

/// <summary>Options of <see cref="OnnxImporter"/>.</summary>
public sealed record ImportOptions
{
    /// <summary>Rewrite recognised patterns into EdgeNorm's fused ops (default). False keeps the plain ONNX graph.</summary>
    public bool Fuse { get; init; } = true;

    /// <summary>Options of the loading step (limits, symbolic dim values); null for the defaults.</summary>
    public OnnxLoadOptions? Load { get; init; }
}

/// <summary>An imported graph and what fusion did to it (<see cref="FusionReport.ToString"/> is one line for the CLI).</summary>
public sealed record ImportResult(Graph Graph, FusionReport Fusion);

/// <summary>
/// The public ONNX import entry (docs/fusion.md): load with <see cref="OnnxModelLoader"/> (parse, shape inference,
/// constant folding, dead-node removal), record the BatchNormalization statistics into
/// <see cref="Graph.BnStatistics"/>, then fuse recognised patterns into EdgeNorm's fused ops.
/// </summary>
public static class OnnxImporter
{
    public static Graph Import(string path, ImportOptions? options = null) => ImportWithReport(path, options).Graph;

    public static ImportResult ImportWithReport(string path, ImportOptions? options = null)
    {
        options ??= new ImportOptions();
        var graph = OnnxModelLoader.Load(path, options.Load);
        return Process(graph, options);
    }

    /// <summary>
    /// The steps after loading, on a graph of ONNX ops (loaded, or built by hand): BN statistics, then fusion unless
    /// <see cref="ImportOptions.Fuse"/> is false. Modifies <paramref name="graph"/> in place.
    /// </summary>
    public static ImportResult Process(Graph graph, ImportOptions? options = null)
    {
        options ??= new ImportOptions();
        // A hostile file that passed loading must still end in OnnxImportException here (fuzzing found fusion crashes).
        string name = graph.Metadata.TryGetValue("onnx.file", out var f) ? f : "model";
        return OnnxModelLoader.Guarded(name, () =>
        {
            BnStatisticsCapture.Capture(graph);
            if (!options.Fuse) return new ImportResult(graph, FusionReport.Of(graph, graph.Nodes.Count, []));
            return new ImportResult(graph, GraphFuser.Fuse(graph));
        });
    }
}
