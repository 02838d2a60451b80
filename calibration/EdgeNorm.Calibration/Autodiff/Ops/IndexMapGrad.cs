using System.Numerics;
using EdgeNorm.Calibration.Float;
using EdgeNorm.Model.Ir;

namespace EdgeNorm.Calibration.Autodiff.Ops;

/// <summary>
/// Every pure data-movement op (Identity, Dropout, Reshape, Flatten, Squeeze, Unsqueeze, Transpose, Slice, Concat,
/// Split, Gather, Expand, Tile) is a fixed selection: output element i is either active-input element map[i] or a
/// constant c[i]. The map is read off the float executor's own op, run once at build on inputs that number their
/// elements (1, 2, 3, … across the active inputs, constants zeroed) — so the op's semantics live in one place.
/// Forward gathers, backward scatter-adds.
/// </summary>
internal sealed class IndexMapGrad<T> : GradOp<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Largest element count the numbering stays exact for in float32.</summary>
    private const int ExactLimit = 1 << 24;

    public static readonly HashSet<string> OpTypes =
        ["Identity", "Dropout", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Transpose", "Slice", "Concat", "Split", "Gather", "Expand", "Tile"];

    private readonly int[] _activeInputs;   // node input index of each active input
    private readonly int[] _start;          // numbering offset of each active input
    private readonly int[][] _map;          // per output: global active element, or −1 for a constant
    private readonly T[][] _constant;       // per output: the constant part

    public IndexMapGrad(GradNode info)
    {
        var node = info.Node;
        if (!FloatOps.TryGet(node.Domain, node.OpType, out var op)) throw info.Error("no float op to derive the selection from");
        var active = new List<int>();
        var start = new List<int>();
        int total = 0;
        var numbered = new Tensor?[node.Inputs.Count];
        var zeroed = new Tensor?[node.Inputs.Count];
        for (int i = 0; i < node.Inputs.Count; i++)
        {
            if (node.Inputs[i].Length == 0) continue;
            if (!info.IsActive(i))
            {
                var c = info.Constants[i]!;
                numbered[i] = c.IsFloat ? Tensor.Zeros(DataType.Float32, c.Shape) : c;
                zeroed[i] = c;
                continue;
            }
            var shape = info.InShape(i);
            var n = new float[Tensor.ElementCount(shape)];
            if ((long)total + n.Length >= ExactLimit) throw info.Error($"more than {ExactLimit} elements to differentiate through");
            for (int e = 0; e < n.Length; e++) n[e] = total + e + 1;
            active.Add(i);
            start.Add(total);
            total += n.Length;
            numbered[i] = Tensor.FromFloats(shape, n);
            zeroed[i] = Tensor.Zeros(DataType.Float32, shape);
        }
        var context = new OpContext(info.Opset);
        var ids = op.Forward(context, node, numbered);
        var consts = op.Forward(context, node, zeroed);
        _activeInputs = active.ToArray();
        _start = start.ToArray();
        _map = new int[ids.Length][];
        _constant = new T[ids.Length][];
        for (int o = 0; o < ids.Length; o++)
        {
            if (!ids[o].IsFloat) { _map[o] = []; _constant[o] = []; continue; }   // e.g. Dropout's mask: not differentiable
            var f = ids[o].F;
            _map[o] = new int[f.Length];
            for (int e = 0; e < f.Length; e++) _map[o][e] = (int)f[e] - 1;
            _constant[o] = consts[o].F.Select(v => T.CreateTruncating(v)).ToArray();
        }
    }

    /// <summary>Which active input (position in <see cref="_activeInputs"/>) global element g belongs to.</summary>
    private int Owner(int g)
    {
        int a = _start.Length - 1;
        while (_start[a] > g) a--;
        return a;
    }

    public override T[][] Forward(T[]?[] inputs)
    {
        var outputs = new T[_map.Length][];
        for (int o = 0; o < _map.Length; o++)
        {
            var map = _map[o];
            var y = (T[])_constant[o].Clone();
            if (_activeInputs.Length == 1)
            {
                var x = inputs[_activeInputs[0]]!;
                for (int e = 0; e < map.Length; e++) if (map[e] >= 0) y[e] = x[map[e]];
            }
            else
            {
                for (int e = 0; e < map.Length; e++)
                {
                    int g = map[e];
                    if (g < 0) continue;
                    int a = Owner(g);
                    y[e] = inputs[_activeInputs[a]]![g - _start[a]];
                }
            }
            outputs[o] = y;
        }
        return outputs;
    }

    public override void Backward(T[]?[] inputs, T[][] outputs, T[]?[] dOutputs, T[]?[] dInputs)
    {
        for (int o = 0; o < _map.Length; o++)
        {
            if (dOutputs[o] is not { } dy) continue;
            var map = _map[o];
            for (int e = 0; e < map.Length; e++)
            {
                int g = map[e];
                if (g < 0) continue;
                int a = Owner(g);
                if (dInputs[_activeInputs[a]] is { } dx) dx[g - _start[a]] += dy[e];
            }
        }
    }
}
