using EdgeNorm.Model.Ir;

namespace EdgeNorm.Calibration.Float.Kernels;

/// <summary>A float binary function, applied element by element.</summary>
public interface IFloatBinary
{
    static abstract float Apply(float a, float b);
}

/// <summary>Row forms for <see cref="IFloatBinary"/> ops that <see cref="System.Numerics.Tensors.TensorPrimitives"/> vectorises.</summary>
public interface IFloatBinaryVec : IFloatBinary
{
    static abstract void Vec(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> d);
    static abstract void VecS(ReadOnlySpan<float> a, float b, Span<float> d);
    static abstract void SVec(float a, ReadOnlySpan<float> b, Span<float> d);
}

public interface ILongBinary
{
    static abstract long Apply(long a, long b);
}

public interface ICompare
{
    static abstract bool Apply(float a, float b);
    static abstract bool Apply(long a, long b);
}

/// <summary>Broadcasting elementwise kernels for float, integer and comparison ops.</summary>
public static class Elementwise
{
    private struct FloatRow<T>(float[] a, float[] b, float[] o) : IBroadcastRow where T : struct, IFloatBinary
    {
        public void Row(ReadOnlySpan<int> off, ReadOnlySpan<int> st, int oo, int len)
        {
            int ia = off[0], ib = off[1], sa = st[0], sb = st[1];
            for (int i = 0; i < len; i++) o[oo + i] = T.Apply(a[ia + i * sa], b[ib + i * sb]);
        }
    }

    private struct FloatVecRow<T>(float[] a, float[] b, float[] o) : IBroadcastRow where T : struct, IFloatBinaryVec
    {
        public void Row(ReadOnlySpan<int> off, ReadOnlySpan<int> st, int oo, int len)
        {
            var d = o.AsSpan(oo, len);
            if (st[0] == 1 && st[1] == 1) T.Vec(a.AsSpan(off[0], len), b.AsSpan(off[1], len), d);
            else if (st[0] == 1) T.VecS(a.AsSpan(off[0], len), b[off[1]], d);
            else if (st[1] == 1) T.SVec(a[off[0]], b.AsSpan(off[1], len), d);
            else d.Fill(T.Apply(a[off[0]], b[off[1]]));
        }
    }

    private struct LongRow<T>(long[] a, long[] b, long[] o) : IBroadcastRow where T : struct, ILongBinary
    {
        public void Row(ReadOnlySpan<int> off, ReadOnlySpan<int> st, int oo, int len)
        {
            int ia = off[0], ib = off[1], sa = st[0], sb = st[1];
            for (int i = 0; i < len; i++) o[oo + i] = T.Apply(a[ia + i * sa], b[ib + i * sb]);
        }
    }

    private struct CompareFloatRow<T>(float[] a, float[] b, long[] o) : IBroadcastRow where T : struct, ICompare
    {
        public void Row(ReadOnlySpan<int> off, ReadOnlySpan<int> st, int oo, int len)
        {
            int ia = off[0], ib = off[1], sa = st[0], sb = st[1];
            for (int i = 0; i < len; i++) o[oo + i] = T.Apply(a[ia + i * sa], b[ib + i * sb]) ? 1 : 0;
        }
    }

    private struct CompareLongRow<T>(long[] a, long[] b, long[] o) : IBroadcastRow where T : struct, ICompare
    {
        public void Row(ReadOnlySpan<int> off, ReadOnlySpan<int> st, int oo, int len)
        {
            int ia = off[0], ib = off[1], sa = st[0], sb = st[1];
            for (int i = 0; i < len; i++) o[oo + i] = T.Apply(a[ia + i * sa], b[ib + i * sb]) ? 1 : 0;
        }
    }

    public static Tensor Float<T>(Tensor a, Tensor b) where T : struct, IFloatBinary
    {
        var shape = ShapeUtil.Broadcast(a.Shape, b.Shape);
        var o = new float[Tensor.ElementCount(shape)];
        var row = new FloatRow<T>(a.F, b.F, o);
        BroadcastLoop.Run(shape, [a.Shape, b.Shape], ref row);
        return Tensor.FromFloats(shape, o);
    }

    public static Tensor FloatVec<T>(Tensor a, Tensor b) where T : struct, IFloatBinaryVec
    {
        var shape = ShapeUtil.Broadcast(a.Shape, b.Shape);
        var o = new float[Tensor.ElementCount(shape)];
        var row = new FloatVecRow<T>(a.F, b.F, o);
        BroadcastLoop.Run(shape, [a.Shape, b.Shape], ref row);
        return Tensor.FromFloats(shape, o);
    }

    /// <summary>Integer op; the result has <paramref name="type"/> and wraps to its width.</summary>
    public static Tensor Long<T>(Tensor a, Tensor b, DataType type) where T : struct, ILongBinary
    {
        var shape = ShapeUtil.Broadcast(a.Shape, b.Shape);
        var o = new long[Tensor.ElementCount(shape)];
        var row = new LongRow<T>(a.L, b.L, o);
        BroadcastLoop.Run(shape, [a.Shape, b.Shape], ref row);
        ShapeUtil.WrapAll(type, o);
        return Tensor.FromLongs(type, shape, o);
    }

    public static Tensor Compare<T>(Tensor a, Tensor b) where T : struct, ICompare
    {
        var shape = ShapeUtil.Broadcast(a.Shape, b.Shape);
        var o = new long[Tensor.ElementCount(shape)];
        if (a.IsFloat != b.IsFloat)
            throw new FloatOpException($"cannot compare {a.DataType.Name()} with {b.DataType.Name()}");
        if (a.IsFloat)
        {
            var row = new CompareFloatRow<T>(a.F, b.F, o);
            BroadcastLoop.Run(shape, [a.Shape, b.Shape], ref row);
        }
        else
        {
            var row = new CompareLongRow<T>(a.L, b.L, o);
            BroadcastLoop.Run(shape, [a.Shape, b.Shape], ref row);
        }
        return Tensor.FromLongs(DataType.Bool, shape, o);
    }

    private struct CopyRow<T>(T[] src, T[] dst) : IBroadcastRow
    {
        public void Row(ReadOnlySpan<int> off, ReadOnlySpan<int> st, int oo, int len)
        {
            if (st[0] == 1) src.AsSpan(off[0], len).CopyTo(dst.AsSpan(oo, len));
            else dst.AsSpan(oo, len).Fill(src[off[0]]);
        }
    }

    /// <summary>Broadcasts <paramref name="x"/> to <paramref name="shape"/> (which must be a broadcast of its shape).</summary>
    public static Tensor BroadcastTo(Tensor x, int[] shape)
    {
        long n = Tensor.ElementCount(shape);
        if (x.Floats is { } f)
        {
            if (n == f.Length && x.Shape.AsSpan().SequenceEqual(shape)) return x;
            var o = new float[n];
            var row = new CopyRow<float>(f, o);
            BroadcastLoop.Run(shape, [x.Shape], ref row);
            return Tensor.FromFloats(shape, o);
        }
        else
        {
            if (x.Shape.AsSpan().SequenceEqual(shape)) return x;
            var o = new long[n];
            var row = new CopyRow<long>(x.L, o);
            BroadcastLoop.Run(shape, [x.Shape], ref row);
            return Tensor.FromLongs(x.DataType, shape, o);
        }
    }

    /// <summary>Checks both operands have the same kind (float or integer), as ONNX's type constraints require.</summary>
    public static void SameKind(string opType, Tensor a, Tensor b)
    {
        if (a.IsFloat != b.IsFloat)
            throw new FloatOpException($"{opType} needs operands of one type, got {a.DataType.Name()} and {b.DataType.Name()}");
    }

    /// <summary>Applies a float function to every element.</summary>
    public static Tensor Map(Tensor x, Func<float, float> f)
    {
        var s = x.F;
        var o = new float[s.Length];
        for (int i = 0; i < o.Length; i++) o[i] = f(s[i]);
        return Tensor.FromFloats(x.Shape, o);
    }

    public delegate void SpanMap(ReadOnlySpan<float> x, Span<float> d);

    public static Tensor Map(Tensor x, SpanMap f)
    {
        var o = new float[x.F.Length];
        f(x.F, o);
        return Tensor.FromFloats(x.Shape, o);
    }
}
