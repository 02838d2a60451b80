using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using EdgeNorm.Runtime.Numerics;
using AdvSimd = System.Runtime.Intrinsics.Arm.AdvSimd;

namespace EdgeNorm.Runtime.Kernels.Vector;

/// <summary>
/// Four int32 lanes: the ARM64 NEON width, and the forced <c>vector128</c> path on x64. Portable
/// <see cref="Vector128"/> operations where they are exact; the 64-bit steps use NEON's widening multiplies and
/// rounding shifts (smull, srshl, xtn). Elsewhere (x64's 128-bit path, which exists to test the shared skeletons) they
/// apply the scalar rule of <see cref="Requantizer"/> per lane.
/// </summary>
internal readonly struct Lanes128 : ILanes<Vector128<int>>
{
    public static int Count => 4;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Create(int value) => Vector128.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Load(ref int source, nuint index) => Vector128.LoadUnsafe(ref source, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> LoadInt16(ref short source, nuint index) =>
        Vector128.WidenLower(Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<long>(
            ref Unsafe.As<short, byte>(ref Unsafe.Add(ref source, index)))).AsInt16());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> LoadSByte(ref sbyte source, nuint index) =>
        Vector128.WidenLower(Vector128.WidenLower(Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<int>(
            ref Unsafe.As<sbyte, byte>(ref Unsafe.Add(ref source, index)))).AsSByte()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector128<int> value, ref int destination, nuint index) => value.StoreUnsafe(ref destination, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreInt16(Vector128<int> value, ref short destination, nuint index) =>
        Unsafe.WriteUnaligned(ref Unsafe.As<short, byte>(ref Unsafe.Add(ref destination, index)),
            Vector128.Narrow(value, value).AsInt64().ToScalar());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreByte(Vector128<int> value, ref byte destination, nuint index)
    {
        var shorts = Vector128.Narrow(value, value);
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref destination, index), Vector128.Narrow(shorts, shorts).AsInt32().ToScalar());
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Add(Vector128<int> a, Vector128<int> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Subtract(Vector128<int> a, Vector128<int> b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Multiply(Vector128<int> a, Vector128<int> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Min(Vector128<int> a, Vector128<int> b) => Vector128.Min(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Max(Vector128<int> a, Vector128<int> b) => Vector128.Max(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Abs(Vector128<int> a) => Vector128.Abs(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> And(Vector128<int> a, Vector128<int> b) => a & b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> LessThanOrEqual(Vector128<int> a, Vector128<int> b) => Vector128.LessThanOrEqual(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Equals(Vector128<int> a, Vector128<int> b) => Vector128.Equals(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Select(Vector128<int> mask, Vector128<int> ifTrue, Vector128<int> ifFalse) =>
        Vector128.ConditionalSelect(mask, ifTrue, ifFalse);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> ShiftLeft(Vector128<int> a, int count) => Vector128.ShiftLeft(a, count);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> ShiftRightArithmetic(Vector128<int> a, int count) => Vector128.ShiftRightArithmetic(a, count);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> ShiftRightLogical(Vector128<int> a, int count) => Vector128.ShiftRightLogical(a, count);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> Or(Vector128<int> a, Vector128<int> b) => a | b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Sum(Vector128<int> a) => Vector128.Sum(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int MaxAcross(Vector128<int> a)
    {
        a = Vector128.Max(a, Vector128.Shuffle(a, Vector128.Create(2, 3, 0, 1)));
        return Vector128.Max(a, Vector128.Shuffle(a, Vector128.Create(1, 0, 3, 2))).ToScalar();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> MultiplyAddPairs(Vector128<int> a, Vector128<int> b)
    {
        if (Sse2.IsSupported) return Sse2.MultiplyAddAdjacent(a.AsInt16(), b.AsInt16());
        if (AdvSimd.Arm64.IsSupported)
        {
            var lo = AdvSimd.MultiplyWideningLower(a.AsInt16().GetLower(), b.AsInt16().GetLower());
            return AdvSimd.Arm64.AddPairwise(lo, AdvSimd.MultiplyWideningUpper(a.AsInt16(), b.AsInt16()));
        }
        var x = a.AsInt16();
        var y = b.AsInt16();
        return Vector128.Create(Pair(x, y, 0), Pair(x, y, 1), Pair(x, y, 2), Pair(x, y, 3));
    }

    private static int Pair(Vector128<short> a, Vector128<short> b, int i) =>
        a.GetElement(2 * i) * b.GetElement(2 * i) + a.GetElement(2 * i + 1) * b.GetElement(2 * i + 1);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> MultiplyShift(Vector128<int> x, Vector128<int> m, Vector128<int> k, Vector128<int> offset,
        bool round, bool saturate, int low, int high)
    {
        if (AdvSimd.Arm64.IsSupported)
        {
            var lo = Neon.MultiplyShiftHalf(AdvSimd.MultiplyWideningLower(x.GetLower(), m.GetLower()), k.GetLower(), offset.GetLower(),
                round, saturate, low, high);
            var hi = Neon.MultiplyShiftHalf(AdvSimd.MultiplyWideningUpper(x, m), k.GetUpper(), offset.GetUpper(),
                round, saturate, low, high);
            return Vector128.Narrow(lo, hi);
        }
        return Vector128.Create(
            ScalarLane(x.GetElement(0), m.GetElement(0), k.GetElement(0), offset.GetElement(0), round, saturate, low, high),
            ScalarLane(x.GetElement(1), m.GetElement(1), k.GetElement(1), offset.GetElement(1), round, saturate, low, high),
            ScalarLane(x.GetElement(2), m.GetElement(2), k.GetElement(2), offset.GetElement(2), round, saturate, low, high),
            ScalarLane(x.GetElement(3), m.GetElement(3), k.GetElement(3), offset.GetElement(3), round, saturate, low, high));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<int> AddScaled(Vector128<int> a, Vector128<int> ma, Vector128<int> ka,
        Vector128<int> b, Vector128<int> mb, Vector128<int> kb, int low, int high)
    {
        if (AdvSimd.Arm64.IsSupported)
        {
            var lo = Neon.Clamp(Neon.Scale(AdvSimd.MultiplyWideningLower(a.GetLower(), ma.GetLower()), ka.GetLower(), true)
                + Neon.Scale(AdvSimd.MultiplyWideningLower(b.GetLower(), mb.GetLower()), kb.GetLower(), true), low, high);
            var hi = Neon.Clamp(Neon.Scale(AdvSimd.MultiplyWideningUpper(a, ma), ka.GetUpper(), true)
                + Neon.Scale(AdvSimd.MultiplyWideningUpper(b, mb), kb.GetUpper(), true), low, high);
            return Vector128.Narrow(lo, hi);
        }
        return Vector128.Create(
            AddScaledLane(a.GetElement(0), ma.GetElement(0), ka.GetElement(0), b.GetElement(0), mb.GetElement(0), kb.GetElement(0), low, high),
            AddScaledLane(a.GetElement(1), ma.GetElement(1), ka.GetElement(1), b.GetElement(1), mb.GetElement(1), kb.GetElement(1), low, high),
            AddScaledLane(a.GetElement(2), ma.GetElement(2), ka.GetElement(2), b.GetElement(2), mb.GetElement(2), kb.GetElement(2), low, high),
            AddScaledLane(a.GetElement(3), ma.GetElement(3), ka.GetElement(3), b.GetElement(3), mb.GetElement(3), kb.GetElement(3), low, high));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong SumUnsigned(Vector128<int> a) =>
        Vector128.Sum(Vector128.WidenLower(a.AsUInt32()) + Vector128.WidenUpper(a.AsUInt32()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector128<int> Low, Vector128<int> High) InterleaveInt16(Vector128<int> a, Vector128<int> b)
    {
        if (Sse2.IsSupported) return (Sse2.UnpackLow(a.AsInt16(), b.AsInt16()).AsInt32(), Sse2.UnpackHigh(a.AsInt16(), b.AsInt16()).AsInt32());
        if (AdvSimd.Arm64.IsSupported) return (AdvSimd.Arm64.ZipLow(a.AsInt16(), b.AsInt16()).AsInt32(), AdvSimd.Arm64.ZipHigh(a.AsInt16(), b.AsInt16()).AsInt32());
        var x = a.AsInt16();
        var y = b.AsInt16();
        return (Vector128.Create(x[0], y[0], x[1], y[1], x[2], y[2], x[3], y[3]).AsInt32(),
            Vector128.Create(x[4], y[4], x[5], y[5], x[6], y[6], x[7], y[7]).AsInt32());
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreInterleaved(Vector128<int> low, Vector128<int> high, ref int destination, nuint index)
    {
        low.StoreUnsafe(ref destination, index);
        high.StoreUnsafe(ref destination, index + 4);
    }

    /// <summary>One lane by the scalar rule: the definition the vector forms reproduce.</summary>
    private static int ScalarLane(int x, int m, int k, int offset, bool round, bool saturate, int low, int high)
    {
        long v = (round ? Requantizer.Scale(x, m, k) : ((long)x * m) >> k) + offset;
        return saturate ? (int)Math.Clamp(v, low, high) : unchecked((int)v);
    }

    private static int AddScaledLane(int a, int ma, int ka, int b, int mb, int kb, int low, int high) =>
        (int)Math.Clamp(Requantizer.Scale(a, ma, ka) + Requantizer.Scale(b, mb, kb), low, high);

    /// <summary>The 64-bit steps on NEON: srshl/sshl by −k (a right shift; srshl rounds half up exactly like the rule).</summary>
    private static class Neon
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<long> MultiplyShiftHalf(Vector128<long> product, Vector64<int> k, Vector64<int> offset,
            bool round, bool saturate, int low, int high)
        {
            var v = Scale(product, k, round) + AdvSimd.SignExtendWideningLower(offset);
            return saturate ? Clamp(v, low, high) : v;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<long> Scale(Vector128<long> product, Vector64<int> k, bool round)
        {
            var shift = AdvSimd.SignExtendWideningLower(k);
            if (!round) return AdvSimd.ShiftArithmetic(product, -shift);
            var q = AdvSimd.ShiftArithmeticRounded(product, -shift);
            return Vector128.AndNot(q, Vector128.GreaterThan(shift, Vector128.Create(62L)));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector128<long> Clamp(Vector128<long> v, int low, int high)
        {
            var lo = Vector128.Create((long)low);
            var hi = Vector128.Create((long)high);
            v = Vector128.ConditionalSelect(Vector128.GreaterThan(v, hi), hi, v);
            return Vector128.ConditionalSelect(Vector128.GreaterThan(lo, v), lo, v);
        }
    }
}
