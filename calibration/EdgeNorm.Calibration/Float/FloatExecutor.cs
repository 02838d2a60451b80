using EdgeNorm.Calibration.Float.Kernels;
using EdgeNorm.Model;
using EdgeNorm.Model.Ir;

namespace EdgeNorm.Calibration.Float;

/// <summary>
/// The float reference executor: runs a <see cref="Graph"/> (ONNX ops and fused EdgeNorm ops alike) through the
/// <see cref="FloatOps"/> catalogue. The plan — topological order, the op of every node, and the step after which
/// each intermediate tensor is no longer needed — is computed once in the constructor; each
/// <see cref="Run(IReadOnlyDictionary{string, Tensor})"/> keeps only live tensors. The executor holds no state
/// between runs, so one instance may serve several threads at once. The graph must not change after construction.
/// </summary>
public sealed class FloatExecutor
{
    private sealed record Step(Node Node, IFloatOp Op, int[] Inputs, int[] Outputs, int[] Release);

    private readonly Dictionary<string, int> _slot = new(StringComparer.Ordinal);
    private readonly string[] _names;
    private readonly Tensor?[] _constants;
    private readonly Step[] _steps;
    private readonly int[] _outputSlots;
    private readonly OpContext _context;
    private readonly List<ValueInfo> _inputs;

    public Graph Graph { get; }

    /// <summary>The inputs a caller must feed (graph inputs that are not initializers).</summary>
    public IReadOnlyList<ValueInfo> Inputs => _inputs;

    public IReadOnlyList<ValueInfo> Outputs => Graph.Outputs;

    /// <summary>Nodes in execution order.</summary>
    public IEnumerable<Node> Order => _steps.Select(s => s.Node);

    public FloatExecutor(Graph graph)
    {
        Graph = graph;
        _context = new OpContext(graph.Opset);
        _inputs = graph.Inputs.Where(i => !graph.Initializers.ContainsKey(i.Name)).ToList();

        var names = new List<string>();
        int Slot(string name)
        {
            if (!_slot.TryGetValue(name, out int id)) { id = names.Count; _slot[name] = id; names.Add(name); }
            return id;
        }
        foreach (var name in graph.Initializers.Keys) Slot(name);
        foreach (var vi in graph.Inputs) Slot(vi.Name);

        var order = GraphOrder.Sort(graph);
        var unsupported = new List<string>();
        var steps = new List<(Node, IFloatOp?, int[], int[])>();
        foreach (var node in order)
        {
            if (!FloatOps.TryGet(node.Domain, node.OpType, out var op))
                unsupported.Add($"{node.Name} ({(node.Domain.Length > 0 ? node.Domain + "." : "")}{node.OpType})");
            var ins = node.Inputs.Select(n => n.Length == 0 ? -1 : Slot(n)).ToArray();
            var outs = node.Outputs.Select(n => n.Length == 0 ? -1 : Slot(n)).ToArray();
            steps.Add((node, op, ins, outs));
        }
        if (unsupported.Count > 0)
            throw new EdgeNormException($"the float executor has no implementation for {unsupported.Count} node(s): {string.Join(", ", unsupported)}");

        _names = names.ToArray();
        _constants = new Tensor?[_names.Length];
        foreach (var (name, t) in graph.Initializers) _constants[_slot[name]] = t;
        _outputSlots = graph.Outputs.Select(o => _slot.TryGetValue(o.Name, out int id) ? id
            : throw new EdgeNormException($"graph output '{o.Name}' is produced by no node, initializer or input")).ToArray();

        // Lifetimes: a non-constant tensor is released after the last step that reads it (never a graph output).
        var last = new int[_names.Length];
        Array.Fill(last, -1);
        for (int s = 0; s < steps.Count; s++)
            foreach (int id in steps[s].Item3)
                if (id >= 0) last[id] = s;
        var pinned = new HashSet<int>(_outputSlots);
        var release = new List<int>[steps.Count];
        for (int s = 0; s < steps.Count; s++) release[s] = [];
        for (int id = 0; id < last.Length; id++)
            if (last[id] >= 0 && _constants[id] is null && !pinned.Contains(id)) release[last[id]].Add(id);
        // outputs nobody reads (e.g. an unused optional output) are dropped right after their step
        for (int s = 0; s < steps.Count; s++)
            foreach (int id in steps[s].Item4)
                if (id >= 0 && last[id] < 0 && !pinned.Contains(id)) release[s].Add(id);
        _steps = steps.Select((t, s) => new Step(t.Item1, t.Item2!, t.Item3, t.Item4, release[s].ToArray())).ToArray();
    }

    /// <summary>Runs the graph; returns the graph outputs by name.</summary>
    public Dictionary<string, Tensor> Run(IReadOnlyDictionary<string, Tensor> inputs) => Run(inputs, null, null);

    /// <summary>
    /// Runs the graph; returns the graph outputs plus every tensor named in <paramref name="keep"/> (intermediates
    /// calibration wants). <paramref name="observer"/>, if given, sees every tensor a node produces as soon as it exists.
    /// </summary>
    public Dictionary<string, Tensor> Run(IReadOnlyDictionary<string, Tensor> inputs, IEnumerable<string>? keep,
        Action<Node, string, Tensor>? observer = null)
    {
        var slots = (Tensor?[])_constants.Clone();
        foreach (var (name, t) in CheckInputs(inputs)) slots[_slot[name]] = t;
        HashSet<int>? kept = null;
        if (keep is not null)
        {
            kept = [];
            foreach (var k in keep)
                kept.Add(_slot.TryGetValue(k, out int id) ? id : throw new EdgeNormException($"the graph has no tensor named '{k}'"));
        }

        var args = new List<Tensor?>(8);
        foreach (var step in _steps)
        {
            args.Clear();
            foreach (int id in step.Inputs)
            {
                var t = id < 0 ? null : slots[id];
                if (id >= 0 && t is null)
                    throw new FloatExecutionException(step.Node.Name, step.Node.OpType, $"input '{_names[id]}' has no value (nothing produced it)");
                args.Add(t);
            }
            Tensor[] result;
            try
            {
                result = step.Op.Forward(_context, step.Node, args.ToArray());
            }
            catch (EdgeNormException e) when (e is not FloatExecutionException)
            {
                throw new FloatExecutionException(step.Node.Name, step.Node.OpType, e.Message, e);
            }
            catch (Exception e) when (e is InvalidOperationException or ArgumentException or IndexOutOfRangeException
                or OverflowException or NotSupportedException or DivideByZeroException)
            {
                throw new FloatExecutionException(step.Node.Name, step.Node.OpType,
                    $"cannot run on inputs {string.Join(", ", args.Select(a => a?.ToString() ?? "-"))}: {e.Message}", e);
            }
            for (int i = 0; i < step.Outputs.Length; i++)
            {
                int id = step.Outputs[i];
                if (id < 0) continue;
                if (i >= result.Length)
                    throw new FloatExecutionException(step.Node.Name, step.Node.OpType, $"produced {result.Length} output(s), output #{i} '{_names[id]}' is missing");
                slots[id] = result[i];
                observer?.Invoke(step.Node, _names[id], result[i]);
            }
            foreach (int id in step.Release)
                if (kept is null || !kept.Contains(id)) slots[id] = null;
        }

        var outputs = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        for (int i = 0; i < _outputSlots.Length; i++)
            outputs[Graph.Outputs[i].Name] = slots[_outputSlots[i]]
                ?? throw new EdgeNormException($"graph output '{Graph.Outputs[i].Name}' was not computed");
        if (kept is not null)
            foreach (int id in kept)
                if (slots[id] is { } t) outputs[_names[id]] = t;
        return outputs;
    }

    /// <summary>Validates the feeds against the declared inputs; returns them, integer types relabelled as declared.</summary>
    private List<(string, Tensor)> CheckInputs(IReadOnlyDictionary<string, Tensor> inputs)
    {
        var expected = string.Join(", ", _inputs.Select(i => i.ToString()));
        foreach (var name in inputs.Keys)
            if (!_inputs.Any(i => i.Name == name) && !Graph.Initializers.ContainsKey(name))
                throw new InputMismatchException(name, $"the model has no input named '{name}'; its inputs are: {expected}");
        var symbols = new Dictionary<string, (int Size, string Input)>(StringComparer.Ordinal);
        var result = new List<(string, Tensor)>();
        foreach (var vi in _inputs)
        {
            if (!inputs.TryGetValue(vi.Name, out var t))
                throw new InputMismatchException(vi.Name, $"missing input '{vi.Name}' ({vi.DataType.Name()}{DimsText(vi.Shape)}); the model's inputs are: {expected}");
            bool wantFloat = !vi.DataType.IsInteger();
            if (t.IsFloat != wantFloat)
                throw new InputMismatchException(vi.Name, $"input '{vi.Name}' must be {vi.DataType.Name()}, got {t.DataType.Name()}");
            if (t.Rank != vi.Shape.Length)
                throw new InputMismatchException(vi.Name, $"input '{vi.Name}' has shape {ShapeUtil.Format(t.Shape)}, expected {DimsText(vi.Shape)}");
            for (int d = 0; d < t.Rank; d++)
            {
                var dim = vi.Shape[d];
                if (dim.IsFixed && dim.Size != t.Shape[d])
                    throw new InputMismatchException(vi.Name, $"input '{vi.Name}' has shape {ShapeUtil.Format(t.Shape)}, expected {DimsText(vi.Shape)}");
                if (dim.Symbol is { } sym)
                {
                    if (symbols.TryGetValue(sym, out var prev) && prev.Size != t.Shape[d])
                        throw new InputMismatchException(vi.Name,
                            $"input '{vi.Name}' has shape {ShapeUtil.Format(t.Shape)}, expected {DimsText(vi.Shape)} with {sym}={prev.Size} as in input '{prev.Input}'");
                    symbols[sym] = (t.Shape[d], vi.Name);
                }
            }
            if (!wantFloat && t.DataType != vi.DataType)
                t = Tensor.FromLongs(vi.DataType, t.Shape, t.L);
            result.Add((vi.Name, t));
        }
        foreach (var (name, t) in inputs)
            if (Graph.Initializers.ContainsKey(name)) result.Add((name, t));
        return result;
    }

    private static string DimsText(Dim[] dims) => "[" + string.Join(",", dims.Select(d => d.ToString())) + "]";
}

/// <summary>Topological order of a graph's nodes (stable: keeps the given order where it is already valid).</summary>
public static class GraphOrder
{
    /// <summary>
    /// Sorts the nodes so every node comes after the producers of its inputs. Throws an
    /// <see cref="EdgeNormException"/> naming the tensor when an input is produced by nothing or the graph has a cycle.
    /// </summary>
    public static List<Node> Sort(Graph graph)
    {
        var available = new HashSet<string>(graph.Initializers.Keys, StringComparer.Ordinal);
        foreach (var vi in graph.Inputs) available.Add(vi.Name);
        var producer = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < graph.Nodes.Count; i++)
            foreach (var o in graph.Nodes[i].Outputs)
                if (o.Length > 0 && !producer.TryAdd(o, i))
                    throw new EdgeNormException($"tensor '{o}' is produced by two nodes ('{graph.Nodes[producer[o]].Name}' and '{graph.Nodes[i].Name}')");
        var pending = new int[graph.Nodes.Count];
        var consumers = new List<int>[graph.Nodes.Count];
        for (int i = 0; i < graph.Nodes.Count; i++)
        {
            consumers[i] = [];
        }
        for (int i = 0; i < graph.Nodes.Count; i++)
        {
            var node = graph.Nodes[i];
            foreach (var inp in node.Inputs.Distinct())
            {
                if (inp.Length == 0 || available.Contains(inp)) continue;
                if (!producer.TryGetValue(inp, out int p))
                    throw new EdgeNormException($"node '{node.Name}' ({node.OpType}) reads tensor '{inp}', which no node, initializer or graph input provides");
                pending[i]++;
                consumers[p].Add(i);
            }
        }
        // Kahn's algorithm with a min-heap on the original index keeps the original order when valid.
        var ready = new PriorityQueue<int, int>();
        for (int i = 0; i < pending.Length; i++) if (pending[i] == 0) ready.Enqueue(i, i);
        var order = new List<Node>(graph.Nodes.Count);
        while (ready.TryDequeue(out int i, out _))
        {
            order.Add(graph.Nodes[i]);
            foreach (int c in consumers[i])
                if (--pending[c] == 0) ready.Enqueue(c, c);
        }
        if (order.Count != graph.Nodes.Count)
        {
            var stuck = graph.Nodes.Where((_, i) => pending[i] > 0).Take(5).Select(n => $"'{n.Name}'");
            throw new EdgeNormException($"the graph has a cycle through node(s) {string.Join(", ", stuck)}");
        }
        return order;
    }
}
