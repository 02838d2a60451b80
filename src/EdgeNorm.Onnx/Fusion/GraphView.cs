using EdgeNorm.Model.Ir;

namespace EdgeNorm.Onnx.Fusion;

/// <summary>
/// A read-only index over a <see cref="Graph"/> for pattern matching: who produces and who consumes each
/// tensor, which tensors are constants (initializers, Constant nodes, Identity of either), and — when the
/// importer knows them — the inferred shapes of intermediate tensors. Rebuilt after every pass.
/// </summary>
public sealed class GraphView
{
    private readonly Dictionary<string, Node> _producer = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<Node>> _consumers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _graphOutputs;
    private readonly Func<string, Dim[]?>? _shapes;

    public Graph Graph { get; }

    public GraphView(Graph graph, Func<string, Dim[]?>? shapes = null)
    {
        Graph = graph;
        _shapes = shapes;
        _graphOutputs = new HashSet<string>(graph.Outputs.Select(o => o.Name), StringComparer.Ordinal);
        foreach (var node in graph.Nodes)
        {
            foreach (var o in node.Outputs)
                if (o.Length > 0) _producer[o] = node;
            foreach (var i in node.Inputs)
            {
                if (i.Length == 0) continue;
                if (!_consumers.TryGetValue(i, out var list)) _consumers[i] = list = [];
                if (!list.Contains(node)) list.Add(node);
            }
        }
        // Ranks in topological order (each rule may read the ranks of earlier tensors through Rank()).
        foreach (var node in graph.Nodes)
        {
            var r = RankInference.Infer(this, node);
            if (r is null) continue;
            for (int i = 0; i < node.Outputs.Count && i < r.Length; i++)
                if (r[i] is int ri && node.Outputs[i].Length > 0) _ranks[node.Outputs[i]] = ri;
        }
    }

    public Node? Producer(string tensor) => tensor.Length > 0 && _producer.TryGetValue(tensor, out var n) ? n : null;

    /// <summary>The producer of <paramref name="tensor"/> if it is an <paramref name="opType"/> of the ONNX domain.</summary>
    public Node? ProducerOf(string tensor, string opType)
    {
        var n = Producer(tensor);
        return n is not null && n.Domain.Length == 0 && n.OpType == opType ? n : null;
    }

    public IReadOnlyList<Node> Consumers(string tensor) =>
        _consumers.TryGetValue(tensor, out var list) ? list : [];

    public bool IsGraphOutput(string tensor) => _graphOutputs.Contains(tensor);

    /// <summary>Exactly one consuming node and not a graph output.</summary>
    public bool HasSingleUse(string tensor) => !IsGraphOutput(tensor) && Consumers(tensor).Count == 1
        && Consumers(tensor)[0].Inputs.Count(i => i == tensor) == 1;

    /// <summary>Inferred shape of a tensor (null when unknown). Constants always have their own shape.</summary>
    public Dim[]? Shape(string tensor)
    {
        if (TryConstant(tensor, out var c)) return c.Shape.Select(d => Dim.Of(d)).ToArray();
        foreach (var vi in Graph.Inputs)
            if (vi.Name == tensor) return vi.Shape;
        return _shapes?.Invoke(tensor);
    }

    /// <summary>Rank of a tensor when known: from its shape, else from <see cref="RankInference"/>.</summary>
    public int? Rank(string tensor)
    {
        if (Shape(tensor) is { } s) return s.Length;
        return _ranks.TryGetValue(tensor, out int r) ? r : null;
    }

    private readonly Dictionary<string, int> _ranks = new(StringComparer.Ordinal);

    /// <summary>The value of a constant tensor: an initializer, a Constant node's value, or Identity of one.</summary>
    public bool TryConstant(string tensor, out Tensor value)
    {
        for (int hops = 0; hops < 8 && tensor.Length > 0; hops++)
        {
            if (Graph.Initializers.TryGetValue(tensor, out value!)) return true;
            var p = Producer(tensor);
            if (p is null || p.Domain.Length != 0) break;
            if (p.OpType == "Constant")
            {
                if (p.Attributes.TryGetValue("value", out var a) && a.T is not null) { value = a.T; return true; }
                if (p.Attributes.TryGetValue("value_float", out a)) { value = Tensor.Scalar(a.F); return true; }
                if (p.Attributes.TryGetValue("value_floats", out a) && a.Floats is not null)
                { value = Tensor.FromFloats([a.Floats.Length], a.Floats); return true; }
                if (p.Attributes.TryGetValue("value_int", out a))
                { value = Tensor.FromLongs(DataType.Int64, [], [a.I]); return true; }
                if (p.Attributes.TryGetValue("value_ints", out a) && a.Ints is not null)
                { value = Tensor.FromLongs(DataType.Int64, [a.Ints.Length], a.Ints); return true; }
                break;
            }
            if (p.OpType == "Identity" && p.Inputs.Count == 1) { tensor = p.Inputs[0]; continue; }
            break;
        }
        value = null!;
        return false;
    }

    public bool IsConstant(string tensor) => TryConstant(tensor, out _);

    /// <summary>A constant holding one float value (any shape with a single element).</summary>
    public bool TryScalar(string tensor, out float value)
    {
        value = 0;
        if (!TryConstant(tensor, out var t) || t.Length != 1) return false;
        if (t.Floats is { } f) { value = f[0]; return true; }
        if (t.Longs is { } l) { value = l[0]; return true; }
        return false;
    }

    /// <summary>A constant holding integers (the form of axes, perms and shapes).</summary>
    public bool TryInts(string tensor, out long[] values)
    {
        values = [];
        if (!TryConstant(tensor, out var t) || t.Longs is null) return false;
        values = t.Longs;
        return true;
    }

    /// <summary>Whether a scalar constant equals <paramref name="expected"/> within a relative tolerance (float32 rounding of exporters).</summary>
    public bool IsScalar(string tensor, double expected, double relTol = 1e-5) =>
        TryScalar(tensor, out float v) && Math.Abs(v - expected) <= relTol * Math.Max(1.0, Math.Abs(expected));
}
