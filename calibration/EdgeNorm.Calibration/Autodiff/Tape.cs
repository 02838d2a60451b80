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

    public Graph Graph { get; }

    /// <summary>The differentiated inputs (the graph's float inputs).</summary>
    public IReadOnlyList<string> Inputs => _inputs;

    /// <summary>Number of nodes with a backward rule on the differentiated path.</summary>
    public int DifferentiableNodes => _steps.Length;

    /// <param name="graph">The graph (not changed afterwards).</param>
    /// <param name="inputShapes">The concrete shape of every graph input (all must be float32).</param>
    public Tape(Graph graph, IReadOnlyDictionary<string, int[]> inputShapes)
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
        _inputs = executor.Inputs.Select(i => i.Name).ToArray();
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
        foreach (var step in _steps)
        {
            var args = step.Inputs.Select(i => i < 0 ? null : values[i]).ToArray();
            var result = step.Op.Forward(args);
            for (int o = 0; o < step.Outputs.Length; o++)
                if (step.Outputs[o] >= 0) values[step.Outputs[o]] = result[o];
        }
        _values = values;
    }

    /// <summary>
    /// Given ∂L/∂t for some recorded tensors t (<paramref name="seeds"/>, e.g. the BN inputs a loss reads), returns
    /// ∂L/∂input for every differentiated input (zeros when no gradient reaches it).
    /// </summary>
    public Dictionary<string, T[]> Backward(IReadOnlyDictionary<string, T[]> seeds)
    {
        var grads = new T[]?[_values.Length];
        T[] Grad(int s) => grads[s] ??= new T[Tensor.ElementCount(_shapes[s])];
        foreach (var (name, g) in seeds)
        {
            var buffer = Grad(SlotOf(name));
            if (g.Length != buffer.Length) throw new GradientException($"gradient for '{name}' has {g.Length} elements, the tensor has {buffer.Length}");
            for (int i = 0; i < g.Length; i++) buffer[i] += g[i];
        }
        for (int k = _steps.Length - 1; k >= 0; k--)
        {
            var step = _steps[k];
            var dOut = step.Outputs.Select(o => o < 0 ? null : grads[o]).ToArray();
            if (dOut.All(g => g is null)) continue;
            var args = step.Inputs.Select(i => i < 0 ? null : _values[i]).ToArray();
            var outs = step.Outputs.Select(o => o < 0 ? [] : _values[o]!).ToArray();
            var dIn = step.Inputs.Select(i => i >= 0 && _active[i] ? Grad(i) : null).ToArray();
            step.Op.Backward(args, outs, dOut, dIn);
        }
        return _inputs.ToDictionary(n => n, n => Grad(_slot[n]), StringComparer.Ordinal);
    }
}
