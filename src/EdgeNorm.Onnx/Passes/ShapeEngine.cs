using EdgeNorm.Calibration.Float;
using EdgeNorm.Calibration.Float.Ops;
using EdgeNorm.Model.Format;
using EdgeNorm.Model.Ir;

namespace EdgeNorm.Onnx.Passes;

/// <summary>
/// Walks a graph in topological order and tracks, per tensor: element type, symbolic shape, the value of
/// constants, and the partially known value of small integer tensors (shape vectors such as
/// <c>Concat(Gather(Shape(x), 0), 197, 3, 3, 64)</c> → [N, 197, 3, 3, 64]). Used by shape inference (read-only)
/// and by constant folding (which turns what it learns into initializers).
/// </summary>
internal sealed class ShapeEngine
{
    /// <summary>Integer tensors up to this many elements get a tracked (partial) value.</summary>
    private const int MaxTrackedValue = 64;

    public Dictionary<string, Tensor> Consts { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, SymDim[]> Shapes { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, DataType> Types { get; } = new(StringComparer.Ordinal);
    public Dictionary<string, SymDim[]> Values { get; } = new(StringComparer.Ordinal);

    private readonly OpContext _ctx;
    private readonly Graph _graph;
    private readonly bool _probe;
    private int _fresh;

    /// <param name="probe">When input shapes are all concrete and an op has no shape rule, run it on zeros to learn its output shapes.</param>
    public ShapeEngine(Graph graph, IReadOnlyDictionary<string, long>? dimValues, IReadOnlyDictionary<string, int[]>? inputShapes, bool probe)
    {
        _graph = graph;
        _ctx = new OpContext(graph.Opset);
        _probe = probe;
        foreach (var (name, t) in graph.Initializers) SetConst(name, t);
        foreach (var vi in graph.Inputs)
        {
            if (graph.Initializers.ContainsKey(vi.Name)) continue;
            Types[vi.Name] = vi.DataType;
            if (inputShapes is not null && inputShapes.TryGetValue(vi.Name, out var concrete))
            {
                Shapes[vi.Name] = concrete.Select(d => SymDim.Const(d)).ToArray();
                continue;
            }
            Shapes[vi.Name] = vi.Shape.Select(d => Bind(SymDim.FromDim(d), dimValues)).ToArray();
        }
        // Concrete input shapes bind the symbols they replace, so every other input with the same symbol agrees.
        if (inputShapes is not null)
        {
            var bound = new Dictionary<string, long>(StringComparer.Ordinal);
            if (dimValues is not null) foreach (var (k, v) in dimValues) bound[k] = v;
            foreach (var vi in graph.Inputs)
                if (inputShapes.TryGetValue(vi.Name, out var c) && c.Length == vi.Shape.Length)
                    for (int i = 0; i < c.Length; i++)
                        if (vi.Shape[i].Symbol is { } s) bound[s] = c[i];
            foreach (var vi in graph.Inputs)
                if (!graph.Initializers.ContainsKey(vi.Name) && !inputShapes.ContainsKey(vi.Name))
                    Shapes[vi.Name] = vi.Shape.Select(d => Bind(SymDim.FromDim(d), bound)).ToArray();
        }
    }

    private static SymDim Bind(SymDim d, IReadOnlyDictionary<string, long>? values)
    {
        if (d.IsConst || values is null) return d;
        long c = d.Coef;
        var rest = new List<string>();
        foreach (var f in d.Sym!.Split('*'))
        {
            if (values.TryGetValue(f, out long v)) c *= v;
            else rest.Add(f);
        }
        return rest.Count == 0 ? SymDim.Const(c) : new SymDim(c, string.Join("*", rest));
    }

    public SymDim Fresh() => new(1, "?" + (++_fresh).ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>
    /// Unknown dims for an output whose rank is the length of a shape input whose values are unknown; null (shape
    /// unknown) when that length is not a constant in [0, <see cref="EdgnFormat.MaxRank"/>]. The length comes from
    /// the file (a declared dim), so it must not size an array unchecked: a fuzzed 2²⁵ made import run for minutes.
    /// </summary>
    private SymDim[]? FreshDims(SymDim rank) =>
        rank.IsConst && rank.Coef is >= 0 and <= EdgnFormat.MaxRank ? Enumerable.Range(0, (int)rank.Coef).Select(_ => Fresh()).ToArray() : null;

    public void SetConst(string name, Tensor t)
    {
        Consts[name] = t;
        Types[name] = t.DataType;
        Shapes[name] = t.Shape.Select(d => SymDim.Const(d)).ToArray();
        if (t.Longs is { } l && t.Rank <= 1 && l.Length <= MaxTrackedValue) Values[name] = l.Select(SymDim.Const).ToArray();
        else Values.Remove(name);
    }

    private SymDim[]? S(Node n, int i) => i < n.Inputs.Count && n.Inputs[i].Length > 0 && Shapes.TryGetValue(n.Inputs[i], out var s) ? s : null;
    private Tensor? C(Node n, int i) => i < n.Inputs.Count && n.Inputs[i].Length > 0 && Consts.TryGetValue(n.Inputs[i], out var t) ? t : null;
    private SymDim[]? V(Node n, int i) => i < n.Inputs.Count && n.Inputs[i].Length > 0 && Values.TryGetValue(n.Inputs[i], out var v) ? v : null;
    private DataType? T(Node n, int i) => i < n.Inputs.Count && n.Inputs[i].Length > 0 && Types.TryGetValue(n.Inputs[i], out var t) ? t : null;
    private static bool Present(Node n, int i) => i < n.Inputs.Count && n.Inputs[i].Length > 0;

    /// <summary>Whether every present input of the node is a known constant.</summary>
    public bool AllInputsConst(Node n) => n.Inputs.All(i => i.Length == 0 || Consts.ContainsKey(i));

    /// <summary>Element counts of the node's outputs as inferred (null when some output's shape is not concrete).</summary>
    public long? OutputElements(Node n)
    {
        long total = 0;
        foreach (var o in n.Outputs)
        {
            if (o.Length == 0) continue;
            if (!Shapes.TryGetValue(o, out var s) || s.Any(d => !d.IsConst || d.Coef < 0)) return null;
            long c = 1;
            foreach (var d in s) { c *= d.Coef; if (c > int.MaxValue) return long.MaxValue; }
            total += c;
        }
        return total;
    }

    /// <summary>Runs a node whose inputs are all constant; records its outputs as constants.</summary>
    public Tensor[] Evaluate(Node n, IFloatOp op)
    {
        var ins = n.Inputs.Select(i => i.Length == 0 ? null : Consts[i]).ToArray();
        var outs = op.Forward(_ctx, n, ins);
        for (int i = 0; i < n.Outputs.Count && i < outs.Length; i++)
            if (n.Outputs[i].Length > 0) SetConst(n.Outputs[i], outs[i]);
        return outs;
    }

    /// <summary>Infers types, shapes and partial values of the node's outputs.</summary>
    public void Infer(Node n)
    {
        var types = InferTypes(n);
        SymDim[]?[] shapes;
        try { shapes = n.Domain.Length == 0 ? InferShapes(n) : new SymDim[]?[n.Outputs.Count]; }
        catch (Exception e) when (IsShapeError(e)) { shapes = new SymDim[]?[n.Outputs.Count]; }
        if (_probe && shapes.Any(s => s is null)) shapes = Probe(n, shapes);
        for (int i = 0; i < n.Outputs.Count; i++)
        {
            var o = n.Outputs[i];
            if (o.Length == 0) continue;
            if (i < types.Length && types[i] is { } t) Types[o] = t;
            var s = i < shapes.Length ? shapes[i] : null;
            if (s is null && _graph.ValueInfos.TryGetValue(o, out var declared) && declared.Shape.Length >= 0)
                s = declared.Shape.Select(SymDim.FromDim).ToArray();
            if (s is not null) Shapes[o] = s;
        }
        if (n.Domain.Length == 0 && n.Outputs.Count > 0 && n.Outputs[0].Length > 0 && Types.TryGetValue(n.Outputs[0], out var ot) && ot.IsInteger())
        {
            SymDim[]? v = null;
            try { v = InferValue(n); }
            catch (Exception e) when (IsShapeError(e)) { }
            if (v is not null && v.Length <= MaxTrackedValue) Values[n.Outputs[0]] = v;
        }
    }

    /// <summary>Errors of a shape rule on an inconsistent node: the shape stays unknown (running the node will report it).</summary>
    private static bool IsShapeError(Exception e) => e is Model.EdgeNormException or ArgumentException or IndexOutOfRangeException
        or InvalidOperationException or OverflowException;

    /// <summary>For concrete input shapes: runs the op on zero-filled inputs (constants as they are) to learn output shapes.</summary>
    private SymDim[]?[] Probe(Node n, SymDim[]?[] known)
    {
        if (!FloatOps.TryGet(n.Domain, n.OpType, out var op)) return known;
        var ins = new Tensor?[n.Inputs.Count];
        for (int i = 0; i < ins.Length; i++)
        {
            if (!Present(n, i)) continue;
            if (C(n, i) is { } c) { ins[i] = c; continue; }
            var s = S(n, i);
            var t = T(n, i);
            if (s is null || t is null || s.Any(d => !d.IsConst || d.Coef < 0)) return known;
            var shape = s.Select(d => (int)d.Coef).ToArray();
            if (Tensor.ElementCount(shape) > 1 << 26) return known;
            ins[i] = Tensor.Zeros(t.Value is DataType.Float64 ? DataType.Float32 : t.Value, shape);
        }
        try
        {
            var outs = op.Forward(_ctx, n, ins);
            var r = (SymDim[]?[])known.Clone();
            for (int i = 0; i < r.Length && i < outs.Length; i++)
                r[i] ??= outs[i].Shape.Select(d => SymDim.Const(d)).ToArray();
            return r;
        }
        catch (Exception e) when (e is Model.EdgeNormException or InvalidOperationException or ArgumentException or IndexOutOfRangeException)
        {
            return known;
        }
    }

    // ---------------------------------------------------------------- types

    private DataType?[] InferTypes(Node n)
    {
        var r = new DataType?[n.Outputs.Count];
        DataType? first = T(n, 0);
        for (int i = 0; i < r.Length; i++) r[i] = first;
        if (n.Domain.Length != 0) return r;
        switch (n.OpType)
        {
            case "Cast":
                long to = n.GetInt("to", 1);
                r[0] = to is 1 or 10 or 11 or 16 ? DataType.Float32 : (DataType)to;
                break;
            case "CastLike": r[0] = T(n, 1); break;
            case "Equal" or "Less" or "Greater" or "LessOrEqual" or "GreaterOrEqual" or "Not" or "And" or "Or" or "Xor":
                r[0] = DataType.Bool;
                break;
            case "Shape" or "Size" or "ArgMax" or "ArgMin": r[0] = DataType.Int64; break;
            case "ConstantOfShape":
                r[0] = n.Attributes.TryGetValue("value", out var a) && a.T is { } vt ? vt.DataType : DataType.Float32;
                break;
            case "Constant":
                try { r[0] = ConstantOp.Value(n).DataType; } catch (FloatOpException) { }
                break;
            case "Where": for (int i = 0; i < r.Length; i++) r[i] = T(n, 1); break;
            case "Dropout": if (r.Length > 1) r[1] = DataType.Bool; break;
            case "LayerNormalization": for (int i = 0; i < r.Length; i++) r[i] = DataType.Float32; break;
            case "MaxPool": if (r.Length > 1) r[1] = DataType.Int64; break;
        }
        for (int i = 0; i < r.Length; i++) if (r[i] == DataType.Float64) r[i] = DataType.Float32;
        return r;
    }

    // ---------------------------------------------------------------- shapes

    private static readonly HashSet<string> SameShape = new(StringComparer.Ordinal)
    {
        "Abs", "Neg", "Sign", "Sqrt", "Exp", "Log", "Reciprocal", "Floor", "Ceil", "Round", "Sin", "Cos", "Erf", "Tanh",
        "Sigmoid", "Relu", "LeakyRelu", "Elu", "Selu", "HardSigmoid", "HardSwish", "Softplus", "Softsign", "Clip", "Cast",
        "CastLike", "Identity", "Dropout", "Not", "Softmax", "LogSoftmax", "BatchNormalization", "InstanceNormalization",
        "CumSum", "Trilu",
    };

    private static readonly HashSet<string> Broadcasting = new(StringComparer.Ordinal)
    {
        "Add", "Sub", "Mul", "Div", "Pow", "Mod", "PRelu", "Max", "Min", "Sum", "Mean", "Equal", "Less", "Greater",
        "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor", "Where",
    };

    private SymDim[]?[] InferShapes(Node n)
    {
        var r = new SymDim[]?[n.Outputs.Count];
        if (r.Length == 0) return r;
        var x = S(n, 0);
        string op = n.OpType;
        if (SameShape.Contains(op))
        {
            r[0] = x;
            if (op == "Dropout" && r.Length > 1) r[1] = x;
            return r;
        }
        if (Broadcasting.Contains(op))
        {
            var all = new List<SymDim[]>();
            for (int i = 0; i < n.Inputs.Count; i++)
            {
                if (!Present(n, i)) continue;
                var s = S(n, i);
                if (s is null) return r;
                all.Add(s);
            }
            r[0] = Broadcast(all);
            return r;
        }
        switch (op)
        {
            case "Constant":
                r[0] = ConstantOp.Value(n).Shape.Select(d => SymDim.Const(d)).ToArray();
                break;
            case "LayerNormalization":
                if (x is null) break;
                r[0] = x;
                int lnAxis = Norm(n.GetInt("axis", -1), x.Length);
                var stat = x.Select((d, i) => i < lnAxis ? d : SymDim.Const(1)).ToArray();
                for (int i = 1; i < r.Length; i++) r[i] = stat;
                break;
            case "MatMul":
                r[0] = MatMulShape(x, S(n, 1));
                break;
            case "Gemm":
            {
                var b = S(n, 1);
                if (x is null || b is null || x.Length != 2 || b.Length != 2) break;
                r[0] = [n.GetInt("transA", 0) != 0 ? x[1] : x[0], n.GetInt("transB", 0) != 0 ? b[0] : b[1]];
                break;
            }
            case "Conv" or "MaxPool" or "AveragePool":
                r[0] = WindowShape(n, x, op == "Conv" ? S(n, 1) : null);
                break;
            case "GlobalAveragePool" or "GlobalMaxPool":
                if (x is not null && x.Length >= 2) r[0] = x.Select((d, i) => i < 2 ? d : SymDim.Const(1)).ToArray();
                break;
            case "ReduceMean" or "ReduceSum" or "ReduceMax" or "ReduceMin" or "ReduceProd" or "ReduceL1" or "ReduceL2"
                or "ReduceSumSquare" or "ReduceLogSum" or "ReduceLogSumExp":
            {
                if (x is null) break;
                long[]? axes = n.GetInts("axes");
                if (Present(n, 1))
                {
                    if (C(n, 1) is not { } at) break;
                    axes = at.L;
                }
                bool keep = n.GetInt("keepdims", 1) != 0;
                if ((axes is null || axes.Length == 0) && n.GetInt("noop_with_empty_axes", 0) != 0) { r[0] = x; break; }
                var mask = ReduceOp.AxisMask(axes, x.Length);
                r[0] = Reduced(x, mask, keep);
                break;
            }
            case "ArgMax" or "ArgMin":
            {
                if (x is null) break;
                var mask = new bool[x.Length];
                mask[Norm(n.GetInt("axis", 0), x.Length)] = true;
                r[0] = Reduced(x, mask, n.GetInt("keepdims", 1) != 0);
                break;
            }
            case "Reshape":
                r[0] = ReshapeShape(n, x);
                break;
            case "Flatten":
            {
                if (x is null) break;
                long axis = n.GetInt("axis", 1);
                int a = (int)(axis < 0 ? axis + x.Length : axis);
                r[0] = [Product(x[..a]), Product(x[a..])];
                break;
            }
            case "Squeeze":
            {
                if (x is null) break;
                long[]? axes = n.GetInts("axes");
                if (Present(n, 1)) { if (C(n, 1) is not { } at) break; axes = at.L; }
                if (axes is null)
                {
                    if (x.Any(d => !d.IsConst)) break;
                    r[0] = x.Where(d => d.Coef != 1).ToArray();
                }
                else
                {
                    var drop = axes.Select(a => Norm(a, x.Length)).ToHashSet();
                    r[0] = x.Where((_, i) => !drop.Contains(i)).ToArray();
                }
                break;
            }
            case "Unsqueeze":
            {
                if (x is null) break;
                long[]? axes = n.GetInts("axes");
                if (Present(n, 1)) { if (C(n, 1) is not { } at) break; axes = at.L; }
                if (axes is null) break;
                int rank = x.Length + axes.Length;
                var ins = axes.Select(a => Norm(a, rank)).ToHashSet();
                var o = new SymDim[rank];
                int k = 0;
                for (int i = 0; i < rank; i++) o[i] = ins.Contains(i) ? SymDim.Const(1) : x[k++];
                r[0] = o;
                break;
            }
            case "Transpose":
            {
                if (x is null) break;
                var perm = TransposeOp.Perm(n.GetInts("perm"), x.Length);
                r[0] = perm.Select(p => x[p]).ToArray();
                break;
            }
            case "Concat":
            {
                var all = new List<SymDim[]>();
                for (int i = 0; i < n.Inputs.Count; i++)
                {
                    if (!Present(n, i)) continue;
                    if (S(n, i) is not { } s) return r;
                    all.Add(s);
                }
                if (all.Count == 0) break;
                int axis = Norm(n.GetInt("axis", 0), all[0].Length);
                var o = (SymDim[])all[0].Clone();
                o[axis] = Sum(all.Select(s => s[axis]));
                for (int d = 0; d < o.Length; d++)
                    if (d != axis)
                        foreach (var s in all)
                            if (s[d].IsConst) { o[d] = s[d]; break; }
                r[0] = o;
                break;
            }
            case "Split":
            {
                if (x is null) break;
                int axis = Norm(n.GetInt("axis", 0), x.Length);
                long[]? sizes = n.GetInts("split");
                if (Present(n, 1)) { if (C(n, 1) is not { } st) break; sizes = st.L; }
                for (int i = 0; i < r.Length; i++)
                {
                    var o = (SymDim[])x.Clone();
                    o[axis] = sizes is not null ? SymDim.Const(sizes[i]) : (SymDim.Div(x[axis], SymDim.Const(r.Length)) ?? Fresh());
                    r[i] = o;
                }
                break;
            }
            case "Slice":
                r[0] = SliceShape(n, x);
                break;
            case "Gather":
            {
                var idx = S(n, 1);
                if (x is null || idx is null) break;
                int axis = Norm(n.GetInt("axis", 0), x.Length);
                r[0] = [.. x[..axis], .. idx, .. x[(axis + 1)..]];
                break;
            }
            case "Shape":
            {
                if (x is null) break;
                var (s, e) = ShapeOp.Range(n, x.Length);
                r[0] = [SymDim.Const(Math.Max(0, e - s))];
                break;
            }
            case "Size":
                r[0] = [];
                break;
            case "ConstantOfShape":
            {
                var v = V(n, 0);
                if (v is not null) r[0] = v;
                else if (S(n, 0) is { Length: 1 } ss) r[0] = FreshDims(ss[0]);
                break;
            }
            case "Expand":
            {
                if (x is null) break;
                var v = V(n, 1);
                if (v is null)
                {
                    if (S(n, 1) is { Length: 1 } ss && FreshDims(ss[0]) is { } dims) v = dims;
                    else break;
                }
                r[0] = Broadcast([x, v]);
                break;
            }
            case "Tile":
            {
                if (x is null || C(n, 1) is not { } rep || rep.L.Length != x.Length) break;
                r[0] = x.Select((d, i) => SymDim.Mul(d, SymDim.Const(rep.L[i]))).ToArray();
                break;
            }
            case "Pad":
            {
                if (x is null) break;
                long[]? pads = n.GetInts("pads");
                if (Present(n, 1)) { if (C(n, 1) is not { } pt) break; pads = pt.L; }
                if (pads is null || pads.Length != 2 * x.Length) break;
                r[0] = x.Select((d, i) => d.IsConst ? SymDim.Const(d.Coef + pads[i] + pads[i + x.Length])
                    : pads[i] + pads[i + x.Length] == 0 ? d : Fresh()).ToArray();
                break;
            }
            case "Range":
            {
                if (C(n, 0) is { } s0 && C(n, 1) is { } l0 && C(n, 2) is { } d0)
                {
                    double st = s0.IsFloat ? s0.F[0] : s0.L[0], li = l0.IsFloat ? l0.F[0] : l0.L[0], de = d0.IsFloat ? d0.F[0] : d0.L[0];
                    r[0] = [SymDim.Const(de == 0 ? 0 : Math.Max((long)Math.Ceiling((li - st) / de), 0))];
                }
                else r[0] = [Fresh()];
                break;
            }
        }
        return r;
    }

    private static int Norm(long axis, int rank)
    {
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) throw new FloatOpException($"axis {axis} is out of range for rank {rank}");
        return (int)a;
    }

    private SymDim[] Broadcast(List<SymDim[]> shapes)
    {
        int rank = shapes.Max(s => s.Length);
        var r = new SymDim[rank];
        for (int i = 0; i < rank; i++)
        {
            SymDim? d = null;
            bool unknown = false;
            foreach (var s in shapes)
            {
                int k = i - (rank - s.Length);
                if (k < 0) continue;
                var e = s[k];
                if (e.IsConst && e.Coef == 1) continue;
                if (d is null) { d = e; continue; }
                if (d.Value == e) continue;
                if (d.Value.IsConst && e.IsConst) throw new FloatOpException($"dims {d.Value} and {e} do not broadcast");
                if (e.IsConst) { d = e; continue; }      // a symbol broadcast against a constant > 1 must equal it
                if (d.Value.IsConst) continue;
                unknown = true;                           // two different symbols: one of them must be 1
            }
            r[i] = unknown ? Fresh() : d ?? SymDim.Const(1);
        }
        return r;
    }

    private SymDim[]? MatMulShape(SymDim[]? a, SymDim[]? b)
    {
        if (a is null || b is null || a.Length == 0 || b.Length == 0) return null;
        var aa = a.Length == 1 ? [SymDim.Const(1), a[0]] : a;
        var bb = b.Length == 1 ? [b[0], SymDim.Const(1)] : b;
        var batch = Broadcast([aa[..^2], bb[..^2]]);
        var o = new List<SymDim>(batch);
        if (a.Length > 1) o.Add(aa[^2]);
        if (b.Length > 1) o.Add(bb[^1]);
        return o.ToArray();
    }

    private SymDim[]? WindowShape(Node n, SymDim[]? x, SymDim[]? w)
    {
        if (x is null || x.Length < 3) return null;
        int s = x.Length - 2;
        int[]? kernel = n.GetInts("kernel_shape")?.Select(v => (int)v).ToArray();
        if (kernel is null && w is not null && w.Length == x.Length && w[2..].All(d => d.IsConst))
            kernel = w[2..].Select(d => (int)d.Coef).ToArray();
        var o = new SymDim[x.Length];
        o[0] = x[0];
        o[1] = w is not null ? w[0] : x[1];
        if (kernel is null || kernel.Length != s || x[2..].Any(d => !d.IsConst))
        {
            for (int i = 2; i < o.Length; i++) o[i] = Fresh();
            return o;
        }
        var g = Calibration.Float.Kernels.WindowGeometry.From(n, x[2..].Select(d => (int)d.Coef).ToArray(), kernel, allowCeil: n.OpType != "Conv");
        for (int i = 0; i < s; i++) o[i + 2] = SymDim.Const(g.Output[i]);
        return o;
    }

    private static SymDim[] Reduced(SymDim[] x, bool[] mask, bool keep)
    {
        var o = new List<SymDim>();
        for (int i = 0; i < x.Length; i++)
        {
            if (!mask[i]) o.Add(x[i]);
            else if (keep) o.Add(SymDim.Const(1));
        }
        return o.ToArray();
    }

    private static SymDim Product(IEnumerable<SymDim> dims)
    {
        var p = SymDim.Const(1);
        foreach (var d in dims) p = SymDim.Mul(p, d);
        return p;
    }

    private SymDim Sum(IEnumerable<SymDim> dims)
    {
        long c = 0;
        SymDim? sym = null;
        foreach (var d in dims)
        {
            if (d.IsConst) { c += d.Coef; continue; }
            if (sym is null) { sym = d; continue; }
            if (sym.Value.Sym == d.Sym) { sym = new SymDim(sym.Value.Coef + d.Coef, d.Sym); continue; }
            return Fresh();
        }
        if (sym is null) return SymDim.Const(c);
        return c == 0 ? sym.Value : Fresh();
    }

    private SymDim[]? ReshapeShape(Node n, SymDim[]? x)
    {
        var spec = V(n, 1);
        if (spec is null)
        {
            return S(n, 1) is { Length: 1 } ss ? FreshDims(ss[0]) : null;
        }
        bool allowZero = n.GetInt("allowzero", 0) != 0;
        var o = new SymDim[spec.Length];
        int infer = -1;
        for (int i = 0; i < spec.Length; i++)
        {
            var e = spec[i];
            if (e.IsConst && e.Coef == -1) { infer = i; continue; }
            if (e.IsConst && e.Coef == 0 && !allowZero)
            {
                if (x is null || i >= x.Length) return null;
                o[i] = x[i];
                continue;
            }
            o[i] = e;
        }
        if (infer >= 0)
        {
            if (x is null) { o[infer] = Fresh(); return o; }
            var known = Product(o.Where((_, i) => i != infer));
            o[infer] = SymDim.Div(Product(x), known) ?? Fresh();
        }
        return o;
    }

    private SymDim[]? SliceShape(Node n, SymDim[]? x)
    {
        if (x is null) return null;
        var starts = C(n, 1)?.L;
        var ends = C(n, 2)?.L;
        var axes = Present(n, 3) ? C(n, 3)?.L : null;
        var steps = Present(n, 4) ? C(n, 4)?.L : null;
        if (starts is null || ends is null || (Present(n, 3) && axes is null) || (Present(n, 4) && steps is null))
            return x.Select(_ => Fresh()).ToArray();
        axes ??= Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
        var o = (SymDim[])x.Clone();
        for (int i = 0; i < starts.Length; i++)
        {
            int ax = Norm(axes[i], x.Length);
            long step = steps?[i] ?? 1;
            var d = x[ax];
            if (d.IsConst)
            {
                var dims = new int[] { (int)d.Coef };
                var (_, _, shape) = SliceOp.Plan(dims, [starts[i]], [ends[i]], [0], [step]);
                o[ax] = SymDim.Const(shape[0]);
            }
            else if (step == 1 && starts[i] == 0 && ends[i] >= int.MaxValue) o[ax] = d;
            else o[ax] = Fresh();
        }
        return o;
    }

    // ---------------------------------------------------------------- partial values

    private SymDim[]? InferValue(Node n)
    {
        switch (n.OpType)
        {
            case "Shape":
            {
                var x = S(n, 0);
                if (x is null) return null;
                var (s, e) = ShapeOp.Range(n, x.Length);
                return x[s..Math.Max(s, e)];
            }
            case "Size":
            {
                var x = S(n, 0);
                return x is null ? null : [Product(x)];
            }
            case "Identity" or "Squeeze" or "Unsqueeze" or "Reshape" or "Flatten" or "Cast":
                return V(n, 0);
            case "Gather":
            {
                var v = V(n, 0);
                var idx = C(n, 1);
                if (v is null || idx is null || S(n, 0) is not { Length: 1 }) return null;
                var o = new SymDim[idx.L.Length];
                for (int i = 0; i < o.Length; i++)
                {
                    long k = idx.L[i] < 0 ? idx.L[i] + v.Length : idx.L[i];
                    if (k < 0 || k >= v.Length) return null;
                    o[i] = v[k];
                }
                return o;
            }
            case "Concat":
            {
                var o = new List<SymDim>();
                for (int i = 0; i < n.Inputs.Count; i++)
                {
                    if (!Present(n, i)) continue;
                    var v = V(n, i);
                    if (v is null) return null;
                    o.AddRange(v);
                }
                return o.ToArray();
            }
            case "Slice":
            {
                var v = V(n, 0);
                if (v is null || S(n, 0) is not { Length: 1 } || C(n, 1) is not { } st || C(n, 2) is not { } en) return null;
                var steps = Present(n, 4) ? C(n, 4)?.L : null;
                if (Present(n, 4) && steps is null) return null;
                var (begin, step, shape) = SliceOp.Plan([v.Length], st.L, en.L, null, steps);
                return Enumerable.Range(0, shape[0]).Select(i => v[begin[0] + i * step[0]]).ToArray();
            }
            case "Add" or "Sub" or "Mul" or "Div":
                return Elementwise(n, (a, b) => n.OpType switch
                {
                    "Add" => a.IsConst && b.IsConst ? SymDim.Const(a.Coef + b.Coef) : null,
                    "Sub" => a.IsConst && b.IsConst ? SymDim.Const(a.Coef - b.Coef) : null,
                    "Mul" => SymDim.Mul(a, b),
                    _ => SymDim.Div(a, b),
                });
            case "Equal":
                return Elementwise(n, (a, b) =>
                {
                    if (a == b) return SymDim.Const(1);
                    if (a.IsConst && b.IsConst) return SymDim.Const(0);
                    // a dim is ≥ 1: a symbolic dim never equals a constant ≤ 0
                    var c = a.IsConst ? a : b;
                    var s = a.IsConst ? b : a;
                    if (c.IsConst && !s.IsConst && s.Coef > 0 && c.Coef <= 0) return SymDim.Const(0);
                    return null;
                });
            case "Where":
            {
                var c = V(n, 0);
                var a = V(n, 1);
                var b = V(n, 2);
                if (c is null || a is null || b is null || c.Any(e => !e.IsConst)) return null;
                int len = Math.Max(c.Length, Math.Max(a.Length, b.Length));
                if (!Fits(c, len) || !Fits(a, len) || !Fits(b, len)) return null;
                return Enumerable.Range(0, len).Select(i => c[c.Length == 1 ? 0 : i].Coef != 0 ? a[a.Length == 1 ? 0 : i] : b[b.Length == 1 ? 0 : i]).ToArray();
            }
        }
        return null;
    }

    private static bool Fits(SymDim[] v, int len) => v.Length == 1 || v.Length == len;

    private SymDim[]? Elementwise(Node n, Func<SymDim, SymDim, SymDim?> f)
    {
        var a = V(n, 0);
        var b = V(n, 1);
        if (a is null || b is null) return null;
        int len = Math.Max(a.Length, b.Length);
        if (!Fits(a, len) || !Fits(b, len)) return null;
        var o = new SymDim[len];
        for (int i = 0; i < len; i++) o[i] = f(a[a.Length == 1 ? 0 : i], b[b.Length == 1 ? 0 : i]) ?? Fresh();
        return o;
    }
}
