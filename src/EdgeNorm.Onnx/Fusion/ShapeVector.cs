using EdgeNorm.Model.Ir;

namespace EdgeNorm.Onnx.Fusion;

/// <summary>
/// One element of a shape vector (e.g. the second input of a Reshape) as far as it can be known statically:
/// a constant, "dimension <see cref="Axis"/> of tensor <see cref="Of"/>" (torch's Shape → Gather chains),
/// or unknown.
/// </summary>
public readonly record struct ShapeElem(long? Value, string? Of, int Axis)
{
    public static ShapeElem Const(long v) => new(v, null, 0);
    public static ShapeElem DimOf(string tensor, int axis) => new(null, tensor, axis);
    public static readonly ShapeElem Unknown = new(null, null, 0);

    public bool IsConst => Value.HasValue;
    public bool IsDim => Of is not null;
    public bool Is(long v) => Value == v;
    public override string ToString() => Value?.ToString(System.Globalization.CultureInfo.InvariantCulture)
        ?? (Of is not null ? $"dim{Axis}({Of})" : "?");
}

/// <summary>
/// Resolves shape tensors (what torch feeds Reshape, Expand, …) into <see cref="ShapeElem"/> vectors:
/// constants, Concat, Unsqueeze, Cast, Shape (with start/end), Slice of a Shape, Gather of a Shape.
/// Arithmetic on dimensions (torch's <c>C // heads</c>) resolves to <see cref="ShapeElem.Unknown"/>
/// unless every operand is constant.
/// </summary>
public static class ShapeVector
{
    /// <summary>The elements of a 1-D shape tensor, or null when not even its length is known.</summary>
    public static ShapeElem[]? Resolve(GraphView g, string tensor, int depth = 0)
    {
        if (depth > 16) return null;
        if (g.TryInts(tensor, out var ints))
            return ints.Select(ShapeElem.Const).ToArray();
        var p = g.Producer(tensor);
        if (p is null || p.Domain.Length != 0) return null;
        switch (p.OpType)
        {
            case "Concat":
            {
                var all = new List<ShapeElem>();
                foreach (var part in p.Inputs)
                {
                    var r = Resolve(g, part, depth + 1);
                    if (r is null) return null;
                    all.AddRange(r);
                }
                return [.. all];
            }
            case "Cast":
            case "Identity":
                return Resolve(g, p.Inputs[0], depth + 1);
            case "Unsqueeze":
            {
                // A scalar made 1-D: the only form shape chains use.
                var axes = UnsqueezeAxes(g, p);
                if (axes is null || axes.Length != 1 || (axes[0] != 0 && axes[0] != -1)) return null;
                if (g.Rank(p.Inputs[0]) is int r && r != 0) return null;
                return [ResolveScalar(g, p.Inputs[0], depth + 1)];
            }
            case "Shape":
            {
                int? rank = g.Rank(p.Inputs[0]);
                long start = p.GetInt("start", 0);
                long? end = p.Attributes.ContainsKey("end") ? p.GetInt("end", 0) : null;
                if (rank is null && (start < 0 || end is null || end < 0)) return null;
                int s = (int)(start < 0 ? start + rank!.Value : start);
                int e = (int)(end is null ? rank!.Value : end < 0 ? end.Value + rank!.Value : Math.Min(end.Value, rank ?? end.Value));
                if (s < 0 || e < s) return null;
                return Enumerable.Range(s, e - s).Select(a => DimOrFixed(g, p.Inputs[0], a)).ToArray();
            }
            case "Slice":
            {
                var src = Resolve(g, p.Inputs[0], depth + 1);
                if (src is null || p.Inputs.Count < 3) return null;
                if (!g.TryInts(p.Inputs[1], out var starts) || !g.TryInts(p.Inputs[2], out var ends)
                    || starts.Length != 1 || ends.Length != 1) return null;
                if (p.Inputs.Count > 3 && p.Inputs[3].Length > 0 && (!g.TryInts(p.Inputs[3], out var ax) || ax.Length != 1 || ax[0] != 0)) return null;
                if (p.Inputs.Count > 4 && p.Inputs[4].Length > 0 && (!g.TryInts(p.Inputs[4], out var st) || st.Length != 1 || st[0] != 1)) return null;
                long n = src.Length;
                long a = Clamp(starts[0] < 0 ? starts[0] + n : starts[0], n);
                long b = Clamp(ends[0] < 0 ? ends[0] + n : ends[0], n);
                return b <= a ? [] : src[(int)a..(int)b];
            }
            default:
                return null;
        }
    }

    /// <summary>A scalar integer tensor of a shape chain.</summary>
    public static ShapeElem ResolveScalar(GraphView g, string tensor, int depth = 0)
    {
        if (depth > 16) return ShapeElem.Unknown;
        if (g.TryInts(tensor, out var ints) && ints.Length == 1) return ShapeElem.Const(ints[0]);
        var p = g.Producer(tensor);
        if (p is null || p.Domain.Length != 0) return ShapeElem.Unknown;
        switch (p.OpType)
        {
            case "Cast":
            case "Identity":
                return ResolveScalar(g, p.Inputs[0], depth + 1);
            case "Squeeze":
            {
                var v = Resolve(g, p.Inputs[0], depth + 1);
                return v is { Length: 1 } ? v[0] : ShapeElem.Unknown;
            }
            case "Gather":
            {
                if (p.GetInt("axis", 0) != 0 || !g.TryInts(p.Inputs[1], out var idx) || idx.Length != 1) return ShapeElem.Unknown;
                if (g.Rank(p.Inputs[1]) is int ir && ir != 0) return ShapeElem.Unknown;
                var v = Resolve(g, p.Inputs[0], depth + 1);
                if (v is null) return ShapeElem.Unknown;
                long i = idx[0] < 0 ? idx[0] + v.Length : idx[0];
                return i >= 0 && i < v.Length ? v[i] : ShapeElem.Unknown;
            }
            case "Mul":
            case "Div":
            {
                var a = ResolveScalar(g, p.Inputs[0], depth + 1);
                var b = ResolveScalar(g, p.Inputs[1], depth + 1);
                if (a.IsConst && b.IsConst)
                {
                    if (p.OpType == "Mul") return ShapeElem.Const(a.Value!.Value * b.Value!.Value);
                    if (b.Value != 0) return ShapeElem.Const(a.Value!.Value / b.Value!.Value);
                }
                return ShapeElem.Unknown;
            }
            default:
                return ShapeElem.Unknown;
        }
    }

    /// <summary>dim(axis) of a tensor: its fixed size when the shape is known, else a symbolic reference.</summary>
    private static ShapeElem DimOrFixed(GraphView g, string tensor, int axis)
    {
        var s = g.Shape(tensor);
        if (s is not null && axis < s.Length && s[axis].IsFixed) return ShapeElem.Const(s[axis].Size);
        return ShapeElem.DimOf(tensor, axis);
    }

    private static long Clamp(long v, long n) => Math.Max(0, Math.Min(v, n));

    internal static long[]? UnsqueezeAxes(GraphView g, Node unsqueeze)
    {
        if (unsqueeze.GetInts("axes") is { } a) return a;
        if (unsqueeze.Inputs.Count > 1 && g.TryInts(unsqueeze.Inputs[1], out var b)) return b;
        return null;
    }

    internal static long[]? SqueezeAxes(GraphView g, Node squeeze) => UnsqueezeAxes(g, squeeze);

    /// <summary>
    /// Whether element <paramref name="e"/> of a Reshape target keeps dimension <paramref name="axis"/> of
    /// the reshaped tensor <paramref name="input"/>: 0 ("copy"), the same dimension read through Shape, or
    /// a constant equal to it. When shapes are unknown, a dimension read at the same axis of another tensor
    /// (torch reads B and N from the block input, not from the qkv projection) and positive constants are
    /// accepted; the fused kernels check the sizes they see at run time.
    /// </summary>
    public static bool KeepsDim(GraphView g, ShapeElem e, string input, int axis)
    {
        var inShape = g.Shape(input);
        Dim? known = inShape is not null && axis < inShape.Length && IsKnown(inShape[axis]) ? inShape[axis] : null;
        if (e.Is(0)) return true; // Reshape's "copy this dimension" (callers reject allowzero = 1)
        if (e.IsDim)
        {
            if (e.Axis != axis) return false;
            if (e.Of == input || known is null) return true;
            var other = g.Shape(e.Of!);
            return other is null || e.Axis >= other.Length || !IsKnown(other[e.Axis]) || SameDim(other[e.Axis], known.Value);
        }
        if (e.Value is long v && v > 0)
        {
            if (known is null) return true;                       // size unknown: accepted, checked at run time
            return known.Value.IsFixed && known.Value.Size == v;  // a constant never equals a symbolic (batch) dim
        }
        return false;
    }

    /// <summary>A fixed size or a named symbol (not an anonymous unknown dimension, "?" in the loader's shapes).</summary>
    private static bool IsKnown(Dim d) => d.IsFixed || d.Symbol is { Length: > 0 } s && s != "?";

    public static bool SameDim(Dim a, Dim b) => a.IsFixed && b.IsFixed ? a.Size == b.Size : a.Symbol is not null && a.Symbol == b.Symbol;
}
