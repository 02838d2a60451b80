using EdgeNorm.Calibration.Float;
using EdgeNorm.Model;
using EdgeNorm.Model.Ir;

namespace EdgeNorm.Onnx.Passes;

/// <summary>What <see cref="GraphOptimizer.Optimize"/> did.</summary>
public sealed record OptimizeReport(int FoldedNodes, int RewrittenShapes, int RemovedDeadNodes);

/// <summary>
/// Constant folding, shape-vector rewriting and dead-node removal on the float IR (ONNX ops).
/// <list type="bullet">
/// <item>A node whose inputs are all constant is evaluated with the float executor's op and becomes an initializer
/// (unless its result would be larger than the limit and larger than its biggest input).</item>
/// <item>A node whose (integer) result is fully known from shapes — e.g. <c>Gather(Shape(x), 1)</c> when dim 1 of x
/// is fixed — becomes an initializer too, while batch-dependent pieces stay symbolic.</item>
/// <item>Reshape and Expand whose shape input is known except for dims equal to the input's own (the batch) get a
/// constant shape: such an entry becomes 0 (copy, Reshape), 1 (broadcast, Expand) or, for one remaining unknown
/// entry of a Reshape, −1. The Shape→Gather→Unsqueeze→Concat chain that computed it is then dead.</item>
/// <item>Nodes and initializers that no graph output depends on are removed.</item>
/// </list>
/// Nodes end up topologically sorted.
/// </summary>
public static class GraphOptimizer
{
    public static OptimizeReport Optimize(Graph graph, IReadOnlyDictionary<string, long>? dimValues = null, long maxFoldedElements = 1 << 20)
    {
        var engine = new ShapeEngine(graph, dimValues, null, probe: false);
        var order = GraphOrder.Sort(graph);
        var kept = new List<Node>(order.Count);
        var graphOutputs = graph.Outputs.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        int folded = 0, rewritten = 0;
        foreach (var node in order)
        {
            engine.Infer(node);
            bool supported = FloatOps.TryGet(node.Domain, node.OpType, out var op);
            if (supported && engine.AllInputsConst(node) && engine.OutputElements(node) is { } elems)
            {
                long biggestInput = node.Inputs.Where(i => i.Length > 0).Select(i => engine.Consts[i].Length).DefaultIfEmpty(0).Max();
                if (elems <= Math.Max(maxFoldedElements, biggestInput))
                {
                    Tensor[] outs;
                    try { outs = engine.Evaluate(node, op); }
                    catch (Exception e) when (e is EdgeNormException or InvalidOperationException or ArgumentException or IndexOutOfRangeException or OverflowException)
                    {
                        throw new OnnxImportException($"node '{node.Name}' ({node.OpType}) fails on its constant inputs: {e.Message}", e);
                    }
                    for (int i = 0; i < node.Outputs.Count && i < outs.Length; i++)
                        if (node.Outputs[i].Length > 0) graph.Initializers[node.Outputs[i]] = outs[i];
                    folded++;
                    continue;
                }
            }
            if (node.Domain.Length == 0 && TryMaterialise(graph, engine, node))
            {
                folded++;
                continue;
            }
            if (node.Domain.Length == 0 && (node.OpType == "Reshape" || node.OpType == "Expand") && TryRewriteShapeInput(graph, engine, node))
                rewritten++;
            kept.Add(node);
        }
        graph.Nodes.Clear();
        graph.Nodes.AddRange(kept);
        int removed = RemoveDeadNodes(graph);
        return new OptimizeReport(folded, rewritten, removed);
    }

    /// <summary>A single-output integer node whose value the engine knows completely becomes an initializer.</summary>
    private static bool TryMaterialise(Graph graph, ShapeEngine engine, Node node)
    {
        var live = node.Outputs.Where(o => o.Length > 0).ToList();
        if (live.Count != 1 || node.Outputs[0].Length == 0) return false;
        string o = node.Outputs[0];
        if (!engine.Values.TryGetValue(o, out var v) || v.Any(e => !e.IsConst)) return false;
        if (!engine.Types.TryGetValue(o, out var t) || !t.IsInteger()) return false;
        if (!engine.Shapes.TryGetValue(o, out var s) || s.Any(d => !d.IsConst || d.Coef < 0) || s.Length > 1) return false;
        var shape = s.Select(d => (int)d.Coef).ToArray();
        if (Tensor.ElementCount(shape) != v.Length) return false;
        var tensor = Tensor.FromLongs(t, shape, v.Select(e => e.Coef).ToArray());
        graph.Initializers[o] = tensor;
        engine.SetConst(o, tensor);
        return true;
    }

    private static bool TryRewriteShapeInput(Graph graph, ShapeEngine engine, Node node)
    {
        if (node.Inputs.Count < 2 || engine.Consts.ContainsKey(node.Inputs[1])) return false;
        if (!engine.Values.TryGetValue(node.Inputs[1], out var spec)) return false;
        engine.Shapes.TryGetValue(node.Inputs[0], out var x);
        var values = new long[spec.Length];
        var unresolved = new List<int>();
        if (node.OpType == "Reshape")
        {
            bool allowZero = node.GetInt("allowzero", 0) != 0;
            for (int i = 0; i < spec.Length; i++)
            {
                var e = spec[i];
                if (e.IsConst) values[i] = e.Coef;
                else if (!allowZero && x is not null && i < x.Length && x[i] == e) values[i] = 0;
                else unresolved.Add(i);
            }
            if (unresolved.Count > 1) return false;
            if (unresolved.Count == 1)
            {
                if (values.Where((_, i) => i != unresolved[0]).Any(v => v == -1 || (allowZero && v == 0))) return false;
                values[unresolved[0]] = -1;
            }
        }
        else
        {
            if (x is null) return false;
            for (int i = 0; i < spec.Length; i++)
            {
                var e = spec[i];
                int xi = i - (spec.Length - x.Length);
                if (e.IsConst) values[i] = e.Coef;
                else if (xi >= 0 && x[xi] == e) values[i] = 1;
                else return false;
            }
        }
        string name = Unique(graph, node.Name.Length > 0 ? node.Name + "_shape" : node.Outputs[0] + "_shape");
        var t = Tensor.FromLongs(DataType.Int64, [values.Length], values);
        graph.Initializers[name] = t;
        engine.SetConst(name, t);
        node.Inputs[1] = name;
        return true;
    }

    private static string Unique(Graph graph, string baseName)
    {
        var used = new HashSet<string>(graph.Initializers.Keys, StringComparer.Ordinal);
        foreach (var n in graph.Nodes) foreach (var o in n.Outputs) used.Add(o);
        foreach (var i in graph.Inputs) used.Add(i.Name);
        string name = baseName;
        for (int k = 1; used.Contains(name); k++) name = $"{baseName}_{k}";
        return name;
    }

    /// <summary>Removes nodes no graph output depends on, then initializers nothing reads. Returns the number of nodes removed.</summary>
    public static int RemoveDeadNodes(Graph graph)
    {
        var live = graph.Outputs.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var keep = new bool[graph.Nodes.Count];
        for (int i = graph.Nodes.Count - 1; i >= 0; i--)
        {
            var n = graph.Nodes[i];
            if (!n.Outputs.Any(live.Contains)) continue;
            keep[i] = true;
            foreach (var inp in n.Inputs) if (inp.Length > 0) live.Add(inp);
        }
        int before = graph.Nodes.Count;
        var nodes = graph.Nodes.Where((_, i) => keep[i]).ToList();
        graph.Nodes.Clear();
        graph.Nodes.AddRange(nodes);
        foreach (var name in graph.Initializers.Keys.ToList())
            if (!live.Contains(name)) graph.Initializers.Remove(name);
        foreach (var name in graph.ValueInfos.Keys.ToList())
            if (!live.Contains(name)) graph.ValueInfos.Remove(name);
        return before - nodes.Count;
    }
}
