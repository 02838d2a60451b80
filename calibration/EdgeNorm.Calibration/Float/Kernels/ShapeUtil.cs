using EdgeNorm.Model.Ir;

namespace EdgeNorm.Calibration.Float.Kernels;

/// <summary>Shape arithmetic shared by the float ops.</summary>
public static class ShapeUtil
{
    public static string Format(ReadOnlySpan<int> shape) => "[" + string.Join(",", shape.ToArray()) + "]";

    /// <summary>Maps a possibly negative axis into [0, rank); throws a <see cref="FloatOpException"/> when out of range.</summary>
    public static int Axis(long axis, int rank, string what = "axis")
    {
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) throw new FloatOpException($"{what} {axis} is out of range for rank {rank}");
        return (int)a;
    }

    public static int[] Strides(ReadOnlySpan<int> shape)
    {
        var s = new int[shape.Length];
        int acc = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            s[i] = acc;
            acc = checked(acc * shape[i]);
        }
        return s;
    }

    public static int Product(ReadOnlySpan<int> shape, int from = 0, int to = -1)
    {
        if (to < 0) to = shape.Length;
        long p = 1;
        for (int i = from; i < to; i++) p = checked(p * shape[i]);
        return checked((int)p);
    }

    /// <summary>Numpy-style broadcast of several shapes.</summary>
    public static int[] Broadcast(params int[][] shapes)
    {
        int rank = 0;
        foreach (var s in shapes) rank = Math.Max(rank, s.Length);
        var r = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int d = 1;
            foreach (var s in shapes)
            {
                int k = i - (rank - s.Length);
                if (k < 0) continue;
                int e = s[k];
                if (e == d || e == 1) continue;
                if (d == 1) { d = e; continue; }
                throw new FloatOpException("shapes " + string.Join(" and ", shapes.Select(x => Format(x))) + " do not broadcast");
            }
            r[i] = d;
        }
        return r;
    }

    /// <summary>Converts a shape given as 64-bit values (an ONNX shape tensor) into int dims, checking range.</summary>
    public static int[] ToInts(ReadOnlySpan<long> dims, string what)
    {
        var r = new int[dims.Length];
        for (int i = 0; i < dims.Length; i++)
        {
            if (dims[i] < 0 || dims[i] > int.MaxValue) throw new FloatOpException($"{what} has an invalid dimension {dims[i]}");
            r[i] = (int)dims[i];
        }
        Tensor.ElementCount(r);
        return r;
    }

    /// <summary>The values of an integer tensor (or of an integral float tensor) as longs.</summary>
    public static long[] Longs(Tensor t, string what)
    {
        if (t.Longs is { } l) return l;
        var f = t.F;
        var r = new long[f.Length];
        for (int i = 0; i < f.Length; i++)
        {
            if (f[i] != MathF.Round(f[i])) throw new FloatOpException($"{what} must hold integers, got {f[i]}");
            r[i] = (long)f[i];
        }
        return r;
    }

    public static Tensor Required(Tensor?[] inputs, int index, string opType)
    {
        if (index >= inputs.Length || inputs[index] is not { } t)
            throw new FloatOpException($"{opType} needs input #{index}");
        return t;
    }

    public static Tensor? Optional(Tensor?[] inputs, int index) => index < inputs.Length ? inputs[index] : null;

    /// <summary>A tensor of the same type as <paramref name="like"/> (float or integer) with the given shape.</summary>
    public static Tensor Like(Tensor like, int[] shape, DataType? type = null) => Tensor.Zeros(type ?? like.DataType, shape);

    /// <summary>Builds a tensor of <paramref name="type"/>, storing into Floats or Longs as the type requires.</summary>
    public static Tensor Make(DataType type, int[] shape, float[]? floats, long[]? longs) =>
        type.IsInteger() ? Tensor.FromLongs(type, shape, longs!) : Tensor.FromFloats(shape, floats!);

    /// <summary>Copies elements of <paramref name="src"/> selected by a flat index map into a new tensor.</summary>
    public static Tensor Gather(Tensor src, int[] shape, ReadOnlySpan<int> map)
    {
        if (src.Floats is { } f)
        {
            var d = new float[map.Length];
            for (int i = 0; i < d.Length; i++) d[i] = f[map[i]];
            return Tensor.FromFloats(shape, d);
        }
        var l = src.L;
        var dl = new long[map.Length];
        for (int i = 0; i < dl.Length; i++) dl[i] = l[map[i]];
        return Tensor.FromLongs(src.DataType, shape, dl);
    }

    /// <summary>Same data, new shape (shares the buffer: tensors are never mutated after an op returns).</summary>
    public static Tensor Reshaped(Tensor t, int[] shape) => t.Floats is { } f
        ? Tensor.FromFloats(shape, f)
        : Tensor.FromLongs(t.DataType, shape, t.L);

    /// <summary>Wraps an integer result into the range of its type (two's complement), as C++ kernels do.</summary>
    public static long Wrap(DataType type, long v) => type switch
    {
        DataType.Int8 => (sbyte)v,
        DataType.UInt8 => (byte)v,
        DataType.Int16 => (short)v,
        DataType.UInt16 => (ushort)v,
        DataType.Int32 => (int)v,
        DataType.Bool => v != 0 ? 1 : 0,
        _ => v,
    };

    public static void WrapAll(DataType type, long[] v)
    {
        if (type is DataType.Int64) return;
        for (int i = 0; i < v.Length; i++) v[i] = Wrap(type, v[i]);
    }
}
