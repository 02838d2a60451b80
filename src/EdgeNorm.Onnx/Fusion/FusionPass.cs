using EdgeNorm.Model.Ir;
using EdgeNorm.Onnx.Passes;

namespace EdgeNorm.Onnx.Fusion;

/// <summary>
/// One rewrite found by a pass: the pattern's nodes, the node whose outputs the fused node takes over
/// (<see cref="Root"/>, the last node of the pattern in topological order) and the fused node.
/// </summary>
public sealed class FusionMatch
{
    public required Node Root { get; init; }
    public required IReadOnlyCollection<Node> Nodes { get; init; }
    public required Node Fused { get; init; }
    /// <summary>Initializers the fused node needs (e.g. a transposed weight); added under fresh names.</summary>
    public Dictionary<string, Tensor> NewInitializers { get; } = new(StringComparer.Ordinal);
}

/// <summary>
/// A fusion pass: finds every occurrence of one pattern (by structure and constants, never by names) and
/// replaces it with one fused node of the <see cref="Node.EdgeNormDomain"/> domain. A pattern is only
/// fused when none of its intermediate tensors is used outside it (a graph output, or a consumer outside
/// the pattern); the one exception are Shape nodes whose whole downstream only feeds the pattern's own
/// shape inputs (torch's Shape → Gather → Concat → Reshape chains), which die with the pattern.
/// </summary>
public abstract class FusionPass
{
    /// <summary>The pattern's name in reports (the fused op it produces, e.g. "LayerNorm").</summary>
    public abstract string Name { get; }

    /// <summary>
    /// Tries to match the pattern at <paramref name="anchor"/> (its root or its characteristic op).
    /// <paramref name="g"/> indexes the graph as it was when the pass started.
    /// </summary>
    protected abstract FusionMatch? TryMatch(FusionContext ctx, GraphView g, Node anchor);

    /// <summary>Runs the pass over the graph once; returns the number of rewrites.</summary>
    public int Run(FusionContext ctx)
    {
        var g = ctx.View();
        var claimed = new HashSet<Node>(ReferenceEqualityComparer.Instance);
        var matches = new List<FusionMatch>();
        foreach (var node in g.Graph.Nodes.ToArray())
        {
            if (claimed.Contains(node)) continue;
            FusionMatch? m;
            try { m = TryMatch(ctx, g, node); }
            catch (Exception e) when (e is InvalidOperationException or ArgumentException or IndexOutOfRangeException or OverflowException)
            { m = null; }
            if (m is null || m.Nodes.Any(claimed.Contains)) continue;
            if (!IsSelfContained(g, m.Nodes, m.Root)) continue;
            foreach (var n in m.Nodes) claimed.Add(n);
            matches.Add(m);
        }
        if (matches.Count == 0) return 0;
        Apply(ctx, g, matches);
        return matches.Count;
    }

    private static void Apply(FusionContext ctx, GraphView g, List<FusionMatch> matches)
    {
        var graph = ctx.Graph;
        // Every constant input of a fused node is an initializer (not a Constant node or an Identity of one).
        foreach (var m in matches)
        {
            var inputs = m.Fused.Inputs;
            for (int i = 0; i < inputs.Count; i++)
            {
                if (inputs[i].Length == 0 || graph.Initializers.ContainsKey(inputs[i]) || m.NewInitializers.ContainsKey(inputs[i])) continue;
                if (!g.TryConstant(inputs[i], out var value)) continue;
                string name = ctx.FreshName(inputs[i]);
                m.NewInitializers[name] = value;
                inputs[i] = name;
            }
        }
        var remove = new HashSet<Node>(ReferenceEqualityComparer.Instance);
        var replace = new Dictionary<Node, Node>(ReferenceEqualityComparer.Instance);
        foreach (var m in matches)
        {
            foreach (var n in m.Nodes) remove.Add(n);
            replace[m.Root] = m.Fused;
            foreach (var (name, t) in m.NewInitializers) graph.Initializers[name] = t;
        }
        var nodes = new List<Node>(graph.Nodes.Count);
        foreach (var n in graph.Nodes)
        {
            if (replace.TryGetValue(n, out var f)) nodes.Add(f);
            else if (!remove.Contains(n)) nodes.Add(n);
        }
        graph.Nodes.Clear();
        graph.Nodes.AddRange(nodes);
        GraphOptimizer.RemoveDeadNodes(graph);
    }

    /// <summary>
    /// True when every output of the pattern's nodes other than the root's is consumed only inside the
    /// pattern (or by a Shape chain that only feeds the pattern) and is not a graph output.
    /// </summary>
    public static bool IsSelfContained(GraphView g, IReadOnlyCollection<Node> nodes, Node root)
    {
        var set = nodes as ISet<Node> ?? new HashSet<Node>(nodes, ReferenceEqualityComparer.Instance);
        foreach (var n in nodes)
        {
            if (ReferenceEquals(n, root)) continue;
            foreach (var o in n.Outputs)
            {
                if (o.Length == 0) continue;
                if (g.IsGraphOutput(o)) return false;
                foreach (var c in g.Consumers(o))
                {
                    if (set.Contains(c)) continue;
                    if (c.Domain.Length == 0 && c.OpType is "Shape" && OnlyFeeds(g, c, set)) continue;
                    return false;
                }
            }
        }
        // The root's extra outputs (e.g. LayerNormalization's Mean) must be unused: the fused node has one output.
        for (int i = 1; i < root.Outputs.Count; i++)
            if (root.Outputs[i].Length > 0 && (g.IsGraphOutput(root.Outputs[i]) || g.Consumers(root.Outputs[i]).Count > 0)) return false;
        return true;
    }

    /// <summary>Whether everything downstream of <paramref name="start"/> ends in the pattern (and so dies with it).</summary>
    private static bool OnlyFeeds(GraphView g, Node start, ISet<Node> pattern)
    {
        var seen = new HashSet<Node>(ReferenceEqualityComparer.Instance) { start };
        var todo = new Stack<Node>();
        todo.Push(start);
        while (todo.Count > 0)
        {
            var n = todo.Pop();
            foreach (var o in n.Outputs)
            {
                if (o.Length == 0) continue;
                if (g.IsGraphOutput(o)) return false;
                foreach (var c in g.Consumers(o))
                {
                    if (pattern.Contains(c) || seen.Contains(c)) continue;
                    if (seen.Count > 64) return false;
                    seen.Add(c);
                    todo.Push(c);
                }
            }
        }
        return true;
    }

    // ---- helpers shared by the passes ----

    /// <summary>The node's other input when one of two inputs is <paramref name="known"/>; null otherwise.</summary>
    protected static string? Other(Node binary, string known)
    {
        if (binary.Inputs.Count != 2) return null;
        if (binary.Inputs[0] == known) return binary.Inputs[1];
        if (binary.Inputs[1] == known) return binary.Inputs[0];
        return null;
    }

    protected static bool Is(Node? n, string opType) => n is not null && n.Domain.Length == 0 && n.OpType == opType;

    /// <summary>
    /// The single consumer of a tensor of the given op type, not counting Shape nodes that read it (torch's
    /// shape chains; <see cref="IsSelfContained"/> later checks they only feed the pattern). Null when the
    /// tensor is a graph output or has any other consumer.
    /// </summary>
    protected static Node? OnlyConsumer(GraphView g, string tensor, string opType)
    {
        if (g.IsGraphOutput(tensor)) return null;
        Node? found = null;
        foreach (var c in g.Consumers(tensor))
        {
            if (Is(c, "Shape")) continue;
            if (found is not null || !Is(c, opType) || c.Inputs.Count(i => i == tensor) != 1) return null;
            found = c;
        }
        return found;
    }

    /// <summary>A fused node named after the root, taking over the root's first output.</summary>
    protected static Node NewFused(FusionContext ctx, Node root, string opType, IEnumerable<string> inputs) => new()
    {
        Name = ctx.FreshName(root.Name.Length > 0 ? root.Name + "/" + opType : opType),
        OpType = opType,
        Domain = Node.EdgeNormDomain,
        Inputs = [.. inputs],
        Outputs = [root.Outputs[0]],
    };

    /// <summary>The reduce axes of a ReduceXxx node (attribute before opset 18, input from 18 on).</summary>
    protected static long[]? ReduceAxes(GraphView g, Node reduce)
    {
        if (reduce.GetInts("axes") is { } a) return a;
        if (reduce.Inputs.Count > 1 && reduce.Inputs[1].Length > 0 && g.TryInts(reduce.Inputs[1], out var b)) return b;
        return null;
    }

    /// <summary>A ReduceMean over the last axis of its input, keeping dims.</summary>
    protected static bool IsMeanOverLastAxis(GraphView g, Node? n)
    {
        if (!Is(n, "ReduceMean") || n!.GetInt("keepdims", 1) != 1) return false;
        var axes = ReduceAxes(g, n);
        if (axes is not { Length: 1 }) return false;
        if (axes[0] == -1) return true;
        return g.Rank(n.Inputs[0]) is int r && axes[0] == r - 1;
    }
}

/// <summary>State shared by the passes of one fusion run.</summary>
public sealed class FusionContext
{
    private readonly HashSet<string> _names;
    private readonly Func<string, Dim[]?>? _shapes;

    public Graph Graph { get; }

    public FusionContext(Graph graph, Func<string, Dim[]?>? shapes = null)
    {
        Graph = graph;
        _shapes = shapes;
        _names = new HashSet<string>(graph.Nodes.Select(n => n.Name), StringComparer.Ordinal);
        foreach (var n in graph.Nodes) foreach (var o in n.Outputs) _names.Add(o);
        foreach (var k in graph.Initializers.Keys) _names.Add(k);
        foreach (var i in graph.Inputs) _names.Add(i.Name);
    }

    /// <summary>A fresh index over the graph as it is now.</summary>
    public GraphView View() => new(Graph, _shapes);

    /// <summary>A node or tensor name not used in the graph yet.</summary>
    public string FreshName(string stem)
    {
        string name = stem;
        for (int i = 1; !_names.Add(name); i++) name = $"{stem}_{i}";
        return name;
    }
}
