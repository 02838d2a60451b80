using EdgeNorm.Model.Ir;
using EdgeNorm.Onnx.Fusion;

namespace EdgeNorm.Onnx;

/// <summary>Options of <see cref="OnnxImporter"/>.</summary>
public sealed record ImportOptions
{
    /// <summary>Rewrite recognised patterns into EdgeNorm's fused ops (default). False keeps the plain ONNX graph.</summary>
    public bool Fuse { get; init; } = true;
}

/// <summary>An imported graph and what fusion did to it.</summary>
public sealed record ImportResult(Graph Graph, FusionReport Fusion);

/// <summary>
/// The public ONNX import entry: load (parse, shape inference, constant folding, dead-node removal),
/// capture the BatchNormalization statistics, then fuse (docs/fusion.md).
/// </summary>
public static class OnnxImporter
{
    public static Graph Import(string path, ImportOptions? options = null) => ImportWithReport(path, options).Graph;

    public static ImportResult ImportWithReport(string path, ImportOptions? options = null)
    {
        options ??= new ImportOptions();
        var graph = LoadPending(path); // TODO(fusion): OnnxModelLoader.Load once it lands
        return Process(graph, options);
    }

    /// <summary>The post-load steps on an already loaded graph (BN statistics, fusion); modifies it in place.</summary>
    public static ImportResult Process(Graph graph, ImportOptions? options = null)
    {
        options ??= new ImportOptions();
        graph.BnStatistics.Clear();
        BnStatisticsCapture.Capture(graph);
        if (!options.Fuse) return new ImportResult(graph, FusionReport.Of(graph, graph.Nodes.Count, []));
        var report = GraphFuser.Fuse(graph, ShapeLookup(graph));
        return new ImportResult(graph, report);
    }

    private static Func<string, Dim[]?>? ShapeLookup(Graph graph) => null;

    private static Graph LoadPending(string path) => throw new NotSupportedException($"ONNX loading is not available yet ({path})");
}
