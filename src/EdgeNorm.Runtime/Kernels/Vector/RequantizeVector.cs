using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using EdgeNorm.Runtime.Kernels.Reference;
using EdgeNorm.Runtime.Numerics;

namespace EdgeNorm.Runtime.Kernels.Vector;

/// <summary>
/// Vector forms of elementwise requantisation (<see cref="Requantizer"/>'s rule per lane, exactly in 64-bit): one
/// multiplier for a tensor (QRequant, the attention output), or a <see cref="ChannelRequant"/> with signs (QNorm's γ, β
/// and QChannelAffine). Input int16 or int32, output int8 or int16; the same bytes as the scalar loops.
/// </summary>
public static class RequantizeVector
{
    /// <summary><c>dst[i] = sat8(Scale(src[i]; m))</c> (QRequant).</summary>
    public static void PerTensor(ReadOnlySpan<short> src, Span<sbyte> dst, DyadicMultiplier m, VectorWidth width) =>
        PerTensor<short, sbyte>(src, dst, m, width);

    /// <summary><c>dst[i] = sat8(Scale(src[i]; m))</c> (int32 accumulators).</summary>
    public static void PerTensor(ReadOnlySpan<int> src, Span<sbyte> dst, DyadicMultiplier m, VectorWidth width) =>
        PerTensor<int, sbyte>(src, dst, m, width);

    /// <summary><c>dst[i] = sat8(Scale(sign_c·src[i]; m_c) + offset_c)</c>, <c>c = i % C</c>.</summary>
    public static void PerChannel(ReadOnlySpan<int> src, Span<sbyte> dst, ChannelRequant table, VectorWidth width) =>
        PerChannel<int, sbyte>(src, dst, table, width);

    /// <summary>As above, to int16.</summary>
    public static void PerChannel(ReadOnlySpan<int> src, Span<short> dst, ChannelRequant table, VectorWidth width) =>
        PerChannel<int, short>(src, dst, table, width);

    /// <summary>As above, from int16 (QChannelAffine).</summary>
    public static void PerChannel(ReadOnlySpan<short> src, Span<sbyte> dst, ChannelRequant table, VectorWidth width) =>
        PerChannel<short, sbyte>(src, dst, table, width);

    /// <summary>
    /// <c>dst[i] = sat8(Scale(a[i]; ma) + Scale(b[i]; mb))</c> (<see cref="Requantizer.AddScaled"/>): the log√2 attention
    /// output from its even and odd sums.
    /// </summary>
    public static void AddScaled(ReadOnlySpan<int> a, DyadicMultiplier ma, ReadOnlySpan<int> b, DyadicMultiplier mb, Span<sbyte> dst, VectorWidth width)
    {
        RequantizeReference.CheckLengths(a.Length, b.Length);
        RequantizeReference.CheckLengths(a.Length, dst.Length);
        int done = width == VectorWidth.Lanes256
            ? AddScaledRun<Lanes256, Vector256<int>>(a, ma, b, mb, dst)
            : AddScaledRun<Lanes128, Vector128<int>>(a, ma, b, mb, dst);
        for (int i = done; i < a.Length; i++) dst[i] = Saturate.ToInt8(Requantizer.AddScaled(a[i], ma, b[i], mb));
    }

    private static int AddScaledRun<TL, TV>(ReadOnlySpan<int> a, DyadicMultiplier ma, ReadOnlySpan<int> b, DyadicMultiplier mb, Span<sbyte> dst)
        where TL : struct, ILanes<TV> where TV : struct
    {
        ref int pa = ref MemoryMarshal.GetReference(a);
        ref int pb = ref MemoryMarshal.GetReference(b);
        ref byte pd = ref Unsafe.As<sbyte, byte>(ref MemoryMarshal.GetReference(dst));
        TV mA = TL.Create(ma.Multiplier), kA = TL.Create(ma.Shift), mB = TL.Create(mb.Multiplier), kB = TL.Create(mb.Shift);
        int i = 0;
        for (; i <= a.Length - TL.Count; i += TL.Count)
            TL.StoreByte(TL.AddScaled(TL.Load(ref pa, (nuint)i), mA, kA, TL.Load(ref pb, (nuint)i), mB, kB, sbyte.MinValue, sbyte.MaxValue), ref pd, (nuint)i);
        return i;
    }

    private static void PerTensor<TIn, TOut>(ReadOnlySpan<TIn> src, Span<TOut> dst, DyadicMultiplier m, VectorWidth width)
        where TIn : unmanaged where TOut : unmanaged
    {
        RequantizeReference.CheckLengths(src.Length, dst.Length);
        int done = width == VectorWidth.Lanes256
            ? PerTensorRun<Lanes256, Vector256<int>, TIn, TOut>(src, dst, m)
            : PerTensorRun<Lanes128, Vector128<int>, TIn, TOut>(src, dst, m);
        for (int i = done; i < src.Length; i++) Elements.Set(dst, i, Requantizer.Scale(Elements.Get(src, i), m));
    }

    private static int PerTensorRun<TL, TV, TIn, TOut>(ReadOnlySpan<TIn> src, Span<TOut> dst, DyadicMultiplier m)
        where TL : struct, ILanes<TV> where TV : struct where TIn : unmanaged where TOut : unmanaged
    {
        ref TIn ps = ref MemoryMarshal.GetReference(src);
        ref TOut pd = ref MemoryMarshal.GetReference(dst);
        TV mv = TL.Create(m.Multiplier), kv = TL.Create(m.Shift), zero = TL.Create(0);
        (int low, int high) = Elements.Range<TOut>();
        int i = 0;
        if (typeof(TIn) == typeof(short) && Int16Scale.TryCreate(m, out var small))
        {
            var lanes = new Int16Scale.Lanes<TL, TV>(small);
            TV lo = TL.Create(low), hi = TL.Create(high);
            for (; i <= src.Length - TL.Count; i += TL.Count)
                Elements.Store<TL, TV, TOut>(TL.Min(TL.Max(lanes.Apply(Elements.Load<TL, TV, TIn>(ref ps, i)), lo), hi), ref pd, i);
            return i;
        }
        for (; i <= src.Length - TL.Count; i += TL.Count)
            Elements.Store<TL, TV, TOut>(TL.MultiplyShift(Elements.Load<TL, TV, TIn>(ref ps, i), mv, kv, zero, true, true, low, high), ref pd, i);
        return i;
    }

    private static void PerChannel<TIn, TOut>(ReadOnlySpan<TIn> src, Span<TOut> dst, ChannelRequant table, VectorWidth width)
        where TIn : unmanaged where TOut : unmanaged
    {
        RequantizeReference.CheckLengths(src.Length, dst.Length);
        int c = table.Channels;
        if (src.Length % c != 0) throw new ArgumentException($"{src.Length} elements are not rows of {c} channels");
        for (int row = 0; row < src.Length; row += c)
        {
            var s = src.Slice(row, c);
            var d = dst.Slice(row, c);
            int done = width == VectorWidth.Lanes256
                ? PerChannelRow<Lanes256, Vector256<int>, TIn, TOut>(s, d, table)
                : PerChannelRow<Lanes128, Vector128<int>, TIn, TOut>(s, d, table);
            for (int i = done; i < c; i++)
                Elements.Set(d, i, Requantizer.Scale(Elements.Get(s, i) * table.Signs[i], table.Multipliers[i]) + table.Offsets[i]);
        }
    }

    private static int PerChannelRow<TL, TV, TIn, TOut>(ReadOnlySpan<TIn> src, Span<TOut> dst, ChannelRequant t)
        where TL : struct, ILanes<TV> where TV : struct where TIn : unmanaged where TOut : unmanaged
    {
        ref TIn ps = ref MemoryMarshal.GetReference(src);
        ref TOut pd = ref MemoryMarshal.GetReference(dst);
        ref int pm = ref MemoryMarshal.GetArrayDataReference(t.Mantissas);
        ref int pk = ref MemoryMarshal.GetArrayDataReference(t.Shifts);
        ref int pg = ref MemoryMarshal.GetArrayDataReference(t.Signs);
        ref int po = ref MemoryMarshal.GetArrayDataReference(t.Offsets);
        (int low, int high) = Elements.Range<TOut>();
        int i = 0;
        for (; i <= src.Length - TL.Count; i += TL.Count)
        {
            var x = TL.Multiply(Elements.Load<TL, TV, TIn>(ref ps, i), TL.Load(ref pg, (nuint)i));
            var y = TL.MultiplyShift(x, TL.Load(ref pm, (nuint)i), TL.Load(ref pk, (nuint)i), TL.Load(ref po, (nuint)i), true, true, low, high);
            Elements.Store<TL, TV, TOut>(y, ref pd, i);
        }
        return i;
    }
}

/// <summary>Element-type plumbing shared by the vector kernels (int16/int32 in, int8/int16/int32 out), folded by the JIT.</summary>
internal static class Elements
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TV Load<TL, TV, T>(ref T source, int index) where TL : struct, ILanes<TV> where TV : struct where T : unmanaged
    {
        if (typeof(T) == typeof(short)) return TL.LoadInt16(ref Unsafe.As<T, short>(ref source), (nuint)index);
        if (typeof(T) == typeof(sbyte)) return TL.LoadSByte(ref Unsafe.As<T, sbyte>(ref source), (nuint)index);
        return TL.Load(ref Unsafe.As<T, int>(ref source), (nuint)index);
    }

    /// <summary>Stores lanes already clamped to <see cref="Range{T}"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store<TL, TV, T>(TV value, ref T destination, int index) where TL : struct, ILanes<TV> where TV : struct where T : unmanaged
    {
        if (typeof(T) == typeof(short)) TL.StoreInt16(value, ref Unsafe.As<T, short>(ref destination), (nuint)index);
        else if (typeof(T) == typeof(sbyte) || typeof(T) == typeof(byte)) TL.StoreByte(value, ref Unsafe.As<T, byte>(ref destination), (nuint)index);
        else TL.Store(value, ref Unsafe.As<T, int>(ref destination), (nuint)index);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (int Low, int High) Range<T>() where T : unmanaged =>
        typeof(T) == typeof(sbyte) ? (sbyte.MinValue, sbyte.MaxValue)
        : typeof(T) == typeof(byte) ? (byte.MinValue, byte.MaxValue)
        : typeof(T) == typeof(short) ? (short.MinValue, short.MaxValue)
        : (int.MinValue, int.MaxValue);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Get<T>(ReadOnlySpan<T> span, int i) where T : unmanaged =>
        typeof(T) == typeof(short) ? Unsafe.As<T, short>(ref Unsafe.AsRef(in span[i]))
        : typeof(T) == typeof(sbyte) ? Unsafe.As<T, sbyte>(ref Unsafe.AsRef(in span[i]))
        : Unsafe.As<T, int>(ref Unsafe.AsRef(in span[i]));

    /// <summary>Saturates a 64-bit value to the element type (<see cref="Saturate"/>) and stores it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Set<T>(Span<T> span, int i, long value) where T : unmanaged
    {
        if (typeof(T) == typeof(sbyte)) Unsafe.As<T, sbyte>(ref span[i]) = Saturate.ToInt8(value);
        else if (typeof(T) == typeof(byte)) Unsafe.As<T, byte>(ref span[i]) = Saturate.ToUInt8(value);
        else if (typeof(T) == typeof(short)) Unsafe.As<T, short>(ref span[i]) = Saturate.ToInt16(value);
        else Unsafe.As<T, int>(ref span[i]) = Saturate.ToInt32(value);
    }
}
