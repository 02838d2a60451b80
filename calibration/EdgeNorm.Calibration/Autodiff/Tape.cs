using System.Numerics;
using EdgeNorm.Calibration.Float;
using EdgeNorm.Model.Ir;

namespace EdgeNorm.Calibration.Autodiff;

/// <summary>
/// Reverse-mode gradients over a (fused) float <see cref="Graph"/>, for one fixed shape of its float inputs, in
/// element type <typeparamref name="T"/> (float for calibration, double for gradient checks).
/// Built once: the float executor runs the graph on zeros to fix every shape and every value that does not depend on
/// the inputs (weights, shape arithmetic, constant branches); the nodes that do get a <see cref="GradOp{T}"/>.
/// Then <see cref="Forward"/> records every activation and <see cref="Backward"/> pushes ∂L/∂(named tensors) back to
/// ∂L/∂inputs. Weights are frozen. One tape runs on one thread at a time.
/// </summary>
public sealed class Tape<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private sealed record Step(GradNode Info, GradOp<T> Op, int[] Inputs, int[] Outputs);

    private readonly Dictionary<string, int> _slot = new(StringComparer.Ordinal);
    private readonly int[][] _shapes;
    private readonly T[]?[] _constants;   // float constants in T, converted once
    private readonly bool[] _active;
    private readonly Step[] _steps;
    private readonly string[] _inputs;
    private T[]?[] _values;
    // Edge transforms: per tensor slot the transform, the readers (step, input) that see its output, and the last
    // forward's transformed value / the gradient gathered from those readers.
    private readonly Dictionary<int, (IEdgeTransform<T> Transform, HashSet<(int Step, int Input)> Edges)> _edges = [];
    private readonly Dictionary<int, T[]> _edgeValues = [];

    public Graph Graph { get; }

    /// <summary>The differentiated inputs (the graph's float inputs).</summary>
    public IReadOnlyList<string> Inputs => _inputs;

    /// <summary>Number of nodes with a backward rule on the differentiated path.</summary>
    public int DifferentiableNodes => _steps.Length;

    /// <param name="graph">The graph (not changed afterwards).</param>
    /// <param name="inputShapes">The concrete shape of every graph input (all must be float32).</param>
    /// <param name="parameters">Float initializers (weights, biases) to differentiate as well; their shape is their own.</param>
    public Tape(Graph graph, IReadOnlyDictionary<string, int[]> inputShapes, IReadOnlyCollection<string>? parameters = null)
    {
        Graph = graph;
        var executor = new FloatExecutor(graph);
        var feeds = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var vi in executor.Inputs)
        {
            if (vi.DataType != DataType.Float32)
                throw new GradientException($"input '{vi.Name}' is {vi.DataType.Name()}: gradients are taken with respect to float inputs only");
            if (!inputShapes.TryGetValue(vi.Name, out var shape))
                throw new GradientException($"no shape given for input '{vi.Name}'");
            feeds[vi.Name] = Tensor.Zeros(DataType.Float32, shape);
        }
        parameters ??= [];
        foreach (var p in parameters)
            if (!graph.Initializers.TryGetValue(p, out var init) || !init.IsFloat)
                throw new GradientException($"parameter '{p}' is not a float initializer of the graph");
        _inputs = [.. executor.Inputs.Select(i => i.Name), .. parameters];
        var produced = graph.Nodes.SelectMany(n => n.Outputs).Where(o => o.Length > 0).ToList();
        var known = executor.Run(feeds, produced);
        foreach (var (k, v) in feeds) known[k] = v;
        foreach (var (k, v) in graph.Initializers) known.TryAdd(k, v);

        var names = new List<string>();
        int Slot(string name)
        {
            if (!_slot.TryGetValue(name, out int id)) { id = names.Count; _slot[name] = id; names.Add(name); }
            return id;
        }
        foreach (var p in parameters) known[p] = graph.Initializers[p];
        var activeNames = new HashSet<string>(_inputs, StringComparer.Ordinal);
        var steps = new List<Step>();
        var unsupported = new List<string>();
        foreach (var node in GraphOrder.Sort(graph))
        {
            if (!node.Inputs.Any(activeNames.Contains)) continue;   // constant: its outputs are known
            bool anyFloat = false;
            foreach (var o in node.Outputs)
            {
                if (o.Length == 0 || !known.TryGetValue(o, out var t)) continue;
                if (t.IsFloat) { activeNames.Add(o); anyFloat = true; }
                else if (!GradOps.IsShapeOnly(node))
                    throw new GradientException($"node '{node.Name}' ({node.OpType}) computes the integer tensor '{o}' from the value of a differentiated input; gradients cannot pass through it");
            }
            if (!anyFloat) continue;
            var info = new GradNode(node, graph.Opset,
                node.Inputs.Select(i => i.Length > 0 && known.TryGetValue(i, out var t) ? t.Shape : null).ToArray(),
                node.Outputs.Select(o => o.Length > 0 && known.TryGetValue(o, out var t) ? t.Shape : null).ToArray(),
                node.Inputs.Select(i => i.Length == 0 || activeNames.Contains(i) ? null : known[i]).ToArray());
            var op = GradOps.Create<T>(info);
            if (op is null)
            {
                unsupported.Add($"{node.Name} ({(node.Domain.Length > 0 ? node.Domain + "." : "")}{node.OpType})");
                continue;
            }
            steps.Add(new Step(info, op, node.Inputs.Select(i => i.Length == 0 ? -1 : Slot(i)).ToArray(),
                node.Outputs.Select(o => o.Length == 0 || !activeNames.Contains(o) ? -1 : Slot(o)).ToArray()));
        }
        if (unsupported.Count > 0)
            throw new GradientException($"no gradient rule for {unsupported.Count} node(s) on the path from the inputs: {string.Join(", ", unsupported)}");
        foreach (var i in _inputs) Slot(i);

        _steps = steps.ToArray();
        _shapes = new int[names.Count][];
        _constants = new T[]?[names.Count];
        _active = new bool[names.Count];
        for (int s = 0; s < names.Count; s++)
        {
            var t = known[names[s]];
            _shapes[s] = t.Shape;
            _active[s] = activeNames.Contains(names[s]);
            if (!_active[s] && t.IsFloat) _constants[s] = t.F.Select(v => T.CreateTruncating(v)).ToArray();
        }
        _values = new T[]?[names.Count];
    }

    /// <summary>True when the tape records tensor <paramref name="name"/> (it depends on a differentiated input).</summary>
    public bool Records(string name) => _slot.TryGetValue(name, out int s) && _active[s];

    public int[] Shape(string name) => _shapes[SlotOf(name)];

    /// <summary>The value of a recorded tensor from the last <see cref="Forward"/>.</summary>
    public T[] Value(string name) => _values[SlotOf(name)] ?? throw new InvalidOperationException($"'{name}' has no value: run Forward first");

    /// <summary>
    /// From now on the readers <paramref name="edges"/> (node name, input index) of <paramref name="tensor"/> see
    /// <paramref name="transform"/>(tensor) instead of the tensor (computed once per forward); null removes it.
    /// </summary>
    public void SetEdgeTransform(string tensor, IReadOnlyCollection<(string Node, int Input)> edges, IEdgeTransform<T>? transform)
    {
        int slot = SlotOf(tensor);
        if (transform is null) { _edges.Remove(slot); return; }
        var set = new HashSet<(int, int)>();
        foreach (var (node, input) in edges)
        {
            int k = Array.FindIndex(_steps, s => s.Info.Node.Name == node);
            if (k < 0 || input >= _steps[k].Inputs.Length || _steps[k].Inputs[input] != slot)
                throw new GradientException($"node '{node}' does not read '{tensor}' as input {input} on the differentiated path");
            set.Add((k, input));
        }
        _edges[slot] = (transform, set);
    }

    /// <summary>Sets (or with null removes) the fake quantisation of the softmax probabilities of attention node <paramref name="node"/>.</summary>
    public void SetProbabilityTransform(string node, IRowTransform<T>? transform)
    {
        var step = _steps.FirstOrDefault(s => s.Info.Node.Name == node);
        if (step?.Op is not Ops.AttentionGrad<T> attention) throw new GradientException($"'{node}' is not an attention node on the differentiated path");
        attention.ProbabilityTransform = transform;
    }

    private int SlotOf(string name) =>
        _slot.TryGetValue(name, out int s) && _active[s] ? s : throw new GradientException($"tensor '{name}' is not on the differentiated path of the graph");

    /// <summary>Runs the differentiable part of the graph on <paramref name="inputs"/> (flat, in the shapes given at build).</summary>
    public void Forward(IReadOnlyDictionary<string, T[]> inputs)
    {
        var values = (T[]?[])_constants.Clone();
        foreach (var name in _inputs)
        {
            if (!inputs.TryGetValue(name, out var x)) throw new GradientException($"missing input '{name}'");
            int s = _slot[name];
            if (x.Length != Tensor.ElementCount(_shapes[s]))
                throw new GradientException($"input '{name}' has {x.Length} elements, the tape was built for [{string.Join(",", _shapes[s])}]");
            values[s] = x;
        }
        _edgeValues.Clear();
        for (int k = 0; k < _steps.Length; k++)
        {
            var step = _steps[k];
            var args = Arguments(k, values, transform: true);
            var result = step.Op.Forward(args);
            for (int o = 0; o < step.Outputs.Length; o++)
                if (step.Outputs[o] >= 0) values[step.Outputs[o]] = result[o];
        }
        _values = values;
    }

    /// <summary>Step k's input values: the recorded tensors, or their transformed value on a transformed edge.</summary>
    private T[]?[] Arguments(int k, T[]?[] values, bool transform)
    {
        var step = _steps[k];
        var args = new T[]?[step.Inputs.Length];
        for (int i = 0; i < args.Length; i++)
        {
            int s = step.Inputs[i];
            if (s < 0) continue;
            if (_edges.TryGetValue(s, out var e) && e.Edges.Contains((k, i)))
            {
                if (!_edgeValues.TryGetValue(s, out var v))
                {
                    if (!transform) throw new InvalidOperationException("edge value missing: run Forward first");
                    _edgeValues[s] = v = e.Transform.Forward(values[s]!);
                }
                args[i] = v;
            }
            else args[i] = values[s];
        }
        return args;
    }

    /// <summary>
    /// Given ∂L/∂t for some recorded tensors t (<paramref name="seeds"/>, e.g. the BN inputs a loss reads), returns
    /// ∂L/∂input for every differentiated input (zeros when no gradient reaches it). With <paramref name="wrt"/>, only
    /// for those inputs, parameters or recorded tensors, and the steps none of them feeds are skipped (reconstructing
    /// a late block does not pay for the early ones' backward).
    /// </summary>
    public Dictionary<string, T[]> Backward(IReadOnlyDictionary<string, T[]> seeds, IReadOnlyCollection<string>? wrt = null)
    {
        var needs = Needs(wrt);
        var grads = new T[]?[_values.Length];
        T[] Grad(int s) => grads[s] ??= new T[Tensor.ElementCount(_shapes[s])];
        foreach (var (name, g) in seeds)
        {
            var buffer = Grad(SlotOf(name));
            if (g.Length != buffer.Length) throw new GradientException($"gradient for '{name}' has {g.Length} elements, the tensor has {buffer.Length}");
            for (int i = 0; i < g.Length; i++) buffer[i] += g[i];
        }
        var edgeGrads = new Dictionary<int, T[]>();
        void Flush(int slot)
        {
            // every reader of the transformed value comes after the tensor's producer: its gradient is complete here
            if (edgeGrads.Remove(slot, out var dt)) _edges[slot].Transform.Backward(_values[slot]!, dt, Grad(slot));
        }
        for (int k = _steps.Length - 1; k >= 0; k--)
        {
            var step = _steps[k];
            foreach (int o in step.Outputs) if (o >= 0) Flush(o);
            if (needs is not null && !step.Inputs.Any(i => i >= 0 && needs[i])) continue;
            var dOut = step.Outputs.Select(o => o < 0 ? null : grads[o]).ToArray();
            if (dOut.All(g => g is null)) continue;
            var args = Arguments(k, _values, transform: false);
            var outs = step.Outputs.Select(o => o < 0 ? [] : _values[o]!).ToArray();
            var dIn = new T[]?[step.Inputs.Length];
            for (int i = 0; i < dIn.Length; i++)
            {
                int s = step.Inputs[i];
                if (s < 0 || !_active[s] || (needs is not null && !needs[s])) continue;
                dIn[i] = _edges.TryGetValue(s, out var e) && e.Edges.Contains((k, i))
                    ? (edgeGrads.TryGetValue(s, out var dt) ? dt : edgeGrads[s] = new T[Tensor.ElementCount(_shapes[s])])
                    : Grad(s);
            }
            step.Op.Backward(args, outs, dOut, dIn);
        }
        foreach (int s in edgeGrads.Keys.ToList()) Flush(s);
        return (wrt ?? (IEnumerable<string>)_inputs).ToDictionary(n => n, n => Grad(_slot[n]), StringComparer.Ordinal);
    }

    private readonly Dictionary<string, bool[]> _needs = new(StringComparer.Ordinal);

    /// <summary>Per slot: does it depend on one of <paramref name="wrt"/> (null: every slot is needed).</summary>
    private bool[]? Needs(IReadOnlyCollection<string>? wrt)
    {
        if (wrt is null) return null;
        string key = string.Join("\n", wrt);
        if (_needs.TryGetValue(key, out var needs)) return needs;
        needs = new bool[_values.Length];
        foreach (var w in wrt)
            needs[SlotOf(w)] = true;
        foreach (var step in _steps)
            if (step.Inputs.Any(i => i >= 0 && needs[i]))
                foreach (int o in step.Outputs) if (o >= 0) needs[o] = true;
        return _needs[key] = needs;
    }
}
