using EdgeNorm.Model.Ir;

namespace EdgeNorm.Onnx.Fusion;

/// <summary>Runs the fusion passes over a graph, in an order where no pattern hides another.</summary>
public static class GraphFuser
{
    /// <summary>
    /// The passes, in order: the normalisations first (their Mul/Add tails look like other things), then GELU,
    /// attention (before Linear, though neither touches the other's nodes), Linear, patch embedding, embedding.
    /// </summary>
    public static IReadOnlyList<FusionPass> DefaultPasses() =>
    [
        new LayerNormFusion(), new L1NormFusion(), new RepBnFusion(), new BatchNormFusion(), new GeluFusion(),
        new AttentionFusion(), new LinearFusion(), new PatchEmbedFusion(), new EmbeddingFusion(),
    ];

    /// <summary>
    /// Fuses in place. <paramref name="shapes"/> gives the shapes of intermediate tensors; by default those the
    /// loader's shape inference left in <see cref="Graph.ValueInfos"/> (fused nodes keep their output names, and
    /// so their shapes).
    /// </summary>
    public static FusionReport Fuse(Graph graph, Func<string, Dim[]?>? shapes = null, IEnumerable<FusionPass>? passes = null)
    {
        int before = graph.Nodes.Count;
        shapes ??= name => graph.ValueInfos.TryGetValue(name, out var vi) && vi.DataType != DataType.Undefined ? vi.Shape : null;
        var ctx = new FusionContext(graph, shapes);
        var perPass = new List<KeyValuePair<string, int>>();
        foreach (var pass in passes ?? DefaultPasses())
            perPass.Add(new(pass.Name, pass.Run(ctx)));
        return FusionReport.Of(graph, before, perPass);
    }
}

/// <summary>What fusion did: matches per pattern and the op mix of the resulting graph.</summary>
public sealed class FusionReport
{
    public int NodesBefore { get; init; }
    public int NodesAfter { get; init; }
    /// <summary>Rewrites per pass, in the order the passes ran.</summary>
    public IReadOnlyList<KeyValuePair<string, int>> Matches { get; init; } = [];
    /// <summary>Fused ops in the final graph, per op type (only types present).</summary>
    public IReadOnlyDictionary<string, int> FusedOps { get; init; } = new Dictionary<string, int>();
    /// <summary>ONNX ops left in the final graph, per op type.</summary>
    public IReadOnlyDictionary<string, int> OnnxOps { get; init; } = new Dictionary<string, int>();

    public static FusionReport Of(Graph graph, int nodesBefore, IReadOnlyList<KeyValuePair<string, int>> matches) => new()
    {
        NodesBefore = nodesBefore,
        NodesAfter = graph.Nodes.Count,
        Matches = matches,
        FusedOps = Count(graph, fused: true),
        OnnxOps = Count(graph, fused: false),
    };

    private static SortedDictionary<string, int> Count(Graph graph, bool fused)
    {
        var d = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var n in graph.Nodes)
            if (n.IsFused == fused) d[n.OpType] = d.GetValueOrDefault(n.OpType) + 1;
        return d;
    }

    public int Count(string fusedOp) => FusedOps.GetValueOrDefault(fusedOp);

    /// <summary>One line for the CLI, e.g. "fused 173 → 24 nodes: Attention×2 Gelu×2 LayerNorm×5 Linear×9 …; ONNX left: Add×5 Concat×1".</summary>
    public override string ToString()
    {
        static string Join(IReadOnlyDictionary<string, int> d) => d.Count == 0 ? "none" : string.Join(" ", d.Select(kv => $"{kv.Key}×{kv.Value}"));
        return $"fused {NodesBefore} → {NodesAfter} nodes: {Join(FusedOps)}; ONNX left: {Join(OnnxOps)}";
    }
}
