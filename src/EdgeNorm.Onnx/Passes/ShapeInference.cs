using EdgeNorm.Calibration.Float;
using EdgeNorm.Model;
using EdgeNorm.Model.Ir;

namespace EdgeNorm.Onnx.Passes;

/// <summary>
/// Static shape inference over the float IR. Symbolic by default (the declared input shapes, dynamic dims kept as
/// symbols); with concrete input shapes (e.g. batch 1) every dim becomes a number, and ops without a shape rule —
/// fused ops, for instance — are run once on zeros to learn their output shapes. The graph is not modified.
/// </summary>
public static class ShapeInference
{
    /// <summary>
    /// Types and shapes of the graph inputs and of every node output whose shape can be determined.
    /// <paramref name="inputShapes"/> fixes the shapes of some inputs; <paramref name="dimValues"/> binds named dims.
    /// </summary>
    public static Dictionary<string, ValueInfo> Infer(Graph graph, IReadOnlyDictionary<string, int[]>? inputShapes = null,
        IReadOnlyDictionary<string, long>? dimValues = null, long maxFoldedElements = 1 << 20)
    {
        if (inputShapes is not null)
            foreach (var (name, shape) in inputShapes)
            {
                var vi = graph.Inputs.FirstOrDefault(i => i.Name == name)
                    ?? throw new EdgeNormException($"shape inference: the graph has no input named '{name}'");
                if (shape.Length != vi.Shape.Length)
                    throw new EdgeNormException($"shape inference: input '{name}' has rank {vi.Shape.Length} ({vi}), got [{string.Join(",", shape)}]");
                for (int i = 0; i < shape.Length; i++)
                    if (vi.Shape[i].IsFixed && vi.Shape[i].Size != shape[i])
                        throw new EdgeNormException($"shape inference: input '{name}' is declared {vi}, got [{string.Join(",", shape)}]");
            }
        bool concrete = inputShapes is not null;
        var engine = new ShapeEngine(graph, dimValues, inputShapes, probe: concrete);
        foreach (var node in GraphOrder.Sort(graph))
        {
            engine.Infer(node);
            if (engine.AllInputsConst(node) && FloatOps.TryGet(node.Domain, node.OpType, out var op)
                && engine.OutputElements(node) is { } n && n <= maxFoldedElements)
            {
                try { engine.Evaluate(node, op); }
                catch (Exception e) when (e is EdgeNormException or InvalidOperationException or ArgumentException) { }
            }
        }
        return Collect(graph, engine);
    }

    /// <summary>Concrete shapes for a batch size: every input's first dim, if symbolic, is set to <paramref name="batch"/>.</summary>
    public static Dictionary<string, ValueInfo> InferForBatch(Graph graph, int batch, IReadOnlyDictionary<string, long>? dimValues = null)
    {
        var symbols = new Dictionary<string, long>(StringComparer.Ordinal);
        if (dimValues is not null) foreach (var (k, v) in dimValues) symbols[k] = v;
        foreach (var vi in graph.Inputs)
            if (!graph.Initializers.ContainsKey(vi.Name) && vi.Shape.Length > 0 && vi.Shape[0].Symbol is { } s)
                symbols.TryAdd(s, batch);
        var shapes = new Dictionary<string, int[]>(StringComparer.Ordinal);
        foreach (var vi in graph.Inputs)
        {
            if (graph.Initializers.ContainsKey(vi.Name)) continue;
            var dims = new int[vi.Shape.Length];
            for (int i = 0; i < dims.Length; i++)
            {
                var d = vi.Shape[i];
                if (d.IsFixed) dims[i] = (int)d.Size;
                else if (d.Symbol is { } s && symbols.TryGetValue(s, out long v)) dims[i] = (int)v;
                else throw new EdgeNormException($"shape inference: input '{vi.Name}' ({vi}) has dim '{d}' with no value; pass it in dimValues");
            }
            shapes[vi.Name] = dims;
        }
        return Infer(graph, shapes, dimValues);
    }

    /// <summary>Symbolic inference stored into <see cref="Graph.ValueInfos"/> (declared entries are replaced where inference knows more).</summary>
    public static void Annotate(Graph graph, IReadOnlyDictionary<string, long>? dimValues = null)
    {
        var inferred = Infer(graph, null, dimValues);
        foreach (var (name, vi) in inferred)
            if (!graph.Inputs.Any(i => i.Name == name)) graph.ValueInfos[name] = vi;
    }

    internal static Dictionary<string, ValueInfo> Collect(Graph graph, ShapeEngine engine)
    {
        var r = new Dictionary<string, ValueInfo>(StringComparer.Ordinal);
        void Add(string name)
        {
            if (name.Length == 0 || r.ContainsKey(name)) return;
            if (!engine.Shapes.TryGetValue(name, out var s) || !engine.Types.TryGetValue(name, out var t)) return;
            r[name] = new ValueInfo(name, t, s.Select(d => d.ToDim()).ToArray());
        }
        foreach (var vi in graph.Inputs) if (!graph.Initializers.ContainsKey(vi.Name)) Add(vi.Name);
        foreach (var node in graph.Nodes) foreach (var o in node.Outputs) Add(o);
        return r;
    }
}
