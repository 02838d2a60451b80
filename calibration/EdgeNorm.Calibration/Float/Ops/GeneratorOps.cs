using EdgeNorm.Calibration.Float.Kernels;
using EdgeNorm.Model.Ir;

namespace EdgeNorm.Calibration.Float.Ops;

/// <summary>Constant: value (tensor), value_float(s) or value_int(s). (The importer turns these into initializers.)</summary>
public sealed class ConstantOp : IFloatOp
{
    public string Domain => "";
    public string OpType => "Constant";

    public Tensor[] Forward(OpContext context, Node node, Tensor?[] inputs) => [Value(node)];

    public static Tensor Value(Node node)
    {
        var at = node.Attributes;
        if (at.TryGetValue("value", out var v) && v.T is { } t) return t;
        if (at.TryGetValue("value_float", out v)) return Tensor.Scalar(v.F);
        if (at.TryGetValue("value_floats", out v) && v.Floats is { } fs) return Tensor.FromFloats([fs.Length], (float[])fs.Clone());
        if (at.TryGetValue("value_int", out v)) return Tensor.FromLongs(DataType.Int64, [], [v.I]);
        if (at.TryGetValue("value_ints", out v) && v.Ints is { } ls) return Tensor.FromLongs(DataType.Int64, [ls.Length], (long[])ls.Clone());
        throw new FloatOpException("Constant has no supported value attribute (value, value_float(s), value_int(s))");
    }
}

/// <summary>ConstantOfShape: fills a shape given as a 1-D int64 tensor with the one-element 'value' (default float 0).</summary>
public sealed class ConstantOfShapeOp : IFloatOp
{
    public string Domain => "";
    public string OpType => "ConstantOfShape";

    public Tensor[] Forward(OpContext context, Node node, Tensor?[] inputs)
    {
        var shape = ShapeUtil.ToInts(ShapeUtil.Longs(ShapeUtil.Required(inputs, 0, OpType), "ConstantOfShape shape"), "ConstantOfShape shape");
        var value = node.Attributes.TryGetValue("value", out var a) && a.T is { } t ? t : Tensor.Scalar(0f);
        if (value.Length != 1) throw new FloatOpException("ConstantOfShape value must have one element");
        long n = Tensor.ElementCount(shape);
        if (value.Floats is { } f)
        {
            var o = new float[n];
            Array.Fill(o, f[0]);
            return [Tensor.FromFloats(shape, o)];
        }
        var l = new long[n];
        Array.Fill(l, value.L[0]);
        return [Tensor.FromLongs(value.DataType, shape, l)];
    }
}

/// <summary>Range(start, limit, delta): max(ceil((limit − start) / delta), 0) elements.</summary>
public sealed class RangeOp : IFloatOp
{
    public string Domain => "";
    public string OpType => "Range";

    public Tensor[] Forward(OpContext context, Node node, Tensor?[] inputs)
    {
        var s = ShapeUtil.Required(inputs, 0, OpType);
        var l = ShapeUtil.Required(inputs, 1, OpType);
        var d = ShapeUtil.Required(inputs, 2, OpType);
        if (s.Length != 1 || l.Length != 1 || d.Length != 1) throw new FloatOpException("Range needs scalar inputs");
        if (s.IsFloat)
        {
            float start = s.F[0], limit = l.F[0], delta = d.F[0];
            if (delta == 0) throw new FloatOpException("Range delta is 0");
            long n = Math.Max((long)Math.Ceiling((limit - start) / delta), 0);
            if (n > int.MaxValue) throw new FloatOpException("Range is too long");
            var o = new float[n];
            for (int i = 0; i < n; i++) o[i] = start + i * delta;
            return [Tensor.FromFloats([(int)n], o)];
        }
        else
        {
            long start = s.L[0], limit = l.L[0], delta = d.L[0];
            if (delta == 0) throw new FloatOpException("Range delta is 0");
            long n = Math.Max((long)Math.Ceiling((double)(limit - start) / delta), 0);
            if (n > int.MaxValue) throw new FloatOpException("Range is too long");
            var o = new long[n];
            for (int i = 0; i < n; i++) o[i] = start + i * delta;
            return [Tensor.FromLongs(s.DataType, [(int)n], o)];
        }
    }
}

/// <summary>Expand: bidirectional broadcast of the input with the given shape.</summary>
public sealed class ExpandOp : IFloatOp
{
    public string Domain => "";
    public string OpType => "Expand";

    public Tensor[] Forward(OpContext context, Node node, Tensor?[] inputs)
    {
        var x = ShapeUtil.Required(inputs, 0, OpType);
        var spec = ShapeUtil.ToInts(ShapeUtil.Longs(ShapeUtil.Required(inputs, 1, OpType), "Expand shape"), "Expand shape");
        return [Elementwise.BroadcastTo(x, ShapeUtil.Broadcast(x.Shape, spec))];
    }
}

/// <summary>Where(condition, X, Y) with three-way broadcasting.</summary>
public sealed class WhereOp : IFloatOp
{
    public string Domain => "";
    public string OpType => "Where";

    private struct WhereRow<T>(long[] c, T[] x, T[] y, T[] o) : IBroadcastRow
    {
        public void Row(ReadOnlySpan<int> off, ReadOnlySpan<int> st, int oo, int len)
        {
            for (int i = 0; i < len; i++)
                o[oo + i] = c[off[0] + i * st[0]] != 0 ? x[off[1] + i * st[1]] : y[off[2] + i * st[2]];
        }
    }

    public Tensor[] Forward(OpContext context, Node node, Tensor?[] inputs)
    {
        var c = ShapeUtil.Required(inputs, 0, OpType);
        var x = ShapeUtil.Required(inputs, 1, OpType);
        var y = ShapeUtil.Required(inputs, 2, OpType);
        if (c.DataType != DataType.Bool) throw new FloatOpException($"Where condition must be bool, got {c.DataType.Name()}");
        if (x.IsFloat != y.IsFloat) throw new FloatOpException($"Where branches differ in type: {x.DataType.Name()} and {y.DataType.Name()}");
        var shape = ShapeUtil.Broadcast(c.Shape, x.Shape, y.Shape);
        int[][] shapes = [c.Shape, x.Shape, y.Shape];
        if (x.IsFloat)
        {
            var o = new float[Tensor.ElementCount(shape)];
            var row = new WhereRow<float>(c.L, x.F, y.F, o);
            BroadcastLoop.Run(shape, shapes, ref row);
            return [Tensor.FromFloats(shape, o)];
        }
        else
        {
            var o = new long[Tensor.ElementCount(shape)];
            var row = new WhereRow<long>(c.L, x.L, y.L, o);
            BroadcastLoop.Run(shape, shapes, ref row);
            return [Tensor.FromLongs(x.DataType, shape, o)];
        }
    }
}

/// <summary>
/// Cast / CastLike between float32, the integer types and bool. Float → integer truncates toward zero and wraps
/// to the target width; to bool is "≠ 0". float64 is held as float32 (the float IR has one float type).
/// </summary>
public sealed class CastOp(string opType = "Cast") : IFloatOp
{
    public string Domain => "";
    public string OpType { get; } = opType;

    public Tensor[] Forward(OpContext context, Node node, Tensor?[] inputs)
    {
        var x = ShapeUtil.Required(inputs, 0, OpType);
        DataType to;
        if (OpType == "CastLike") to = ShapeUtil.Required(inputs, 1, OpType).DataType;
        else
        {
            long t = node.GetInt("to", 0);
            to = t switch
            {
                1 or 2 or 3 or 4 or 5 or 6 or 7 or 9 or 11 => (DataType)t,
                _ => throw new FloatOpException($"Cast to ONNX data type {t} ({OnnxTypeName(t)}) is not supported"),
            };
        }
        return [Convert(x, to)];
    }

    public static string OnnxTypeName(long t) => t switch
    {
        8 => "string", 10 => "float16", 12 => "uint32", 13 => "uint64", 14 => "complex64", 15 => "complex128", 16 => "bfloat16",
        _ => ((DataType)t).Name(),
    };

    public static Tensor Convert(Tensor x, DataType to)
    {
        if (to is DataType.Float32 or DataType.Float64)
            return x.IsFloat ? x : Tensor.FromFloats(x.Shape, Array.ConvertAll(x.L, v => (float)v));
        if (!to.IsInteger()) throw new FloatOpException($"Cast to {to.Name()} is not supported");
        long[] o;
        if (x.IsFloat)
        {
            var f = x.F;
            o = new long[f.Length];
            for (int i = 0; i < o.Length; i++)
            {
                float v = f[i];
                if (to == DataType.Bool) o[i] = v != 0 ? 1 : 0;
                else if (float.IsNaN(v)) o[i] = to == DataType.Int64 ? long.MinValue : 0;
                else o[i] = ShapeUtil.Wrap(to, v >= 9.2233720368547758e18f ? long.MaxValue : v <= -9.2233720368547758e18f ? long.MinValue : (long)v);
            }
        }
        else
        {
            o = (long[])x.L.Clone();
            ShapeUtil.WrapAll(to, o);
        }
        return Tensor.FromLongs(to, x.Shape, o);
    }
}
