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
        graph.BnStatistics.Clear();
        BnStatisticsCapture.Capture(graph);
        if (!options.Fuse) return new ImportResult(graph, FusionReport.Of(graph, graph.Nodes.Count, []));
        var report = GraphFuser.Fuse(graph, ShapeLookup(graph));
        PruneValueInfos(graph);
        return new ImportResult(graph, report);
    }

    /// <summary>Shapes the loader inferred (<see cref="Graph.ValueInfos"/>); fused nodes keep the output names and shapes.</summary>
    private static Func<string, Dim[]?> ShapeLookup(Graph graph) => name =>
        graph.ValueInfos.TryGetValue(name, out var vi) && vi.DataType != DataType.Undefined ? vi.Shape : null;

    /// <summary>Drops the shapes of tensors fusion removed.</summary>
    private static void PruneValueInfos(Graph graph)
    {
        var live = new HashSet<string>(StringComparer.Ordinal);
        foreach (var n in graph.Nodes) foreach (var o in n.Outputs) live.Add(o);
        foreach (var k in graph.ValueInfos.Keys.ToArray())
            if (!live.Contains(k) && !graph.Initializers.ContainsKey(k) && !graph.Inputs.Any(i => i.Name == k)) graph.ValueInfos.Remove(k);
    }
}
