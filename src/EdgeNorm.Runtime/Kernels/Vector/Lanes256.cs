using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace EdgeNorm.Runtime.Kernels.Vector;

/// <summary>
/// Eight int32 lanes (AVX2). Only used when <see cref="Avx2.IsSupported"/> (see <see cref="VectorWidths"/>): the 64-bit
/// steps use vpmuldq on the even and odd lanes, variable logical shifts with a sign flip for the arithmetic shift
/// (AVX2 has no vpsraq), and compare-and-blend clamps.
/// </summary>
internal readonly struct Lanes256 : ILanes<Vector256<int>>
{
    public static int Count => 8;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Create(int value) => Vector256.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Load(ref int source, nuint index) => Vector256.LoadUnsafe(ref source, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> LoadInt16(ref short source, nuint index) =>
        Avx2.ConvertToVector256Int32(Vector128.LoadUnsafe(ref source, index));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> LoadSByte(ref sbyte source, nuint index) =>
        Avx2.ConvertToVector256Int32(Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<long>(
            ref Unsafe.As<sbyte, byte>(ref Unsafe.Add(ref source, index)))).AsSByte());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<int> value, ref int destination, nuint index) => value.StoreUnsafe(ref destination, index);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreInt16(Vector256<int> value, ref short destination, nuint index)
    {
        // vpshufb keeps the low half of each lane within 128-bit halves, vpermq joins them.
        var packed = Avx2.Shuffle(value.AsByte(), ShortsLow).AsUInt64();
        Avx2.Permute4x64(packed, 0b_00_00_10_00).GetLower().AsInt16().StoreUnsafe(ref destination, index);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreByte(Vector256<int> value, ref byte destination, nuint index)
    {
        var packed = Avx2.Shuffle(value.AsByte(), BytesLow).AsInt32();
        long low = Avx2.PermuteVar8x32(packed, Vector256.Create(0, 4, 0, 0, 0, 0, 0, 0)).AsInt64().ToScalar();
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref destination, index), low);
    }

    private static readonly Vector256<byte> ShortsLow = Vector256.Create(
        (byte)0, 1, 4, 5, 8, 9, 12, 13, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
        0, 1, 4, 5, 8, 9, 12, 13, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80);

    private static readonly Vector256<byte> BytesLow = Vector256.Create(
        (byte)0, 4, 8, 12, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
        0, 4, 8, 12, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Add(Vector256<int> a, Vector256<int> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Subtract(Vector256<int> a, Vector256<int> b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Multiply(Vector256<int> a, Vector256<int> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Min(Vector256<int> a, Vector256<int> b) => Vector256.Min(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Max(Vector256<int> a, Vector256<int> b) => Vector256.Max(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Abs(Vector256<int> a) => Vector256.Abs(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> And(Vector256<int> a, Vector256<int> b) => a & b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> LessThanOrEqual(Vector256<int> a, Vector256<int> b) => Vector256.LessThanOrEqual(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Equals(Vector256<int> a, Vector256<int> b) => Vector256.Equals(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Select(Vector256<int> mask, Vector256<int> ifTrue, Vector256<int> ifFalse) =>
        Vector256.ConditionalSelect(mask, ifTrue, ifFalse);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> ShiftLeft(Vector256<int> a, int count) => Vector256.ShiftLeft(a, count);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> ShiftRightArithmetic(Vector256<int> a, int count) => Vector256.ShiftRightArithmetic(a, count);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> ShiftRightLogical(Vector256<int> a, int count) => Vector256.ShiftRightLogical(a, count);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> Or(Vector256<int> a, Vector256<int> b) => a | b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Sum(Vector256<int> a) => Vector256.Sum(a);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int MaxAcross(Vector256<int> a) => Lanes128.MaxAcross(Vector128.Max(a.GetLower(), a.GetUpper()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> MultiplyAddPairs(Vector256<int> a, Vector256<int> b) => Avx2.MultiplyAddAdjacent(a.AsInt16(), b.AsInt16());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> MultiplyShift(Vector256<int> x, Vector256<int> m, Vector256<int> k, Vector256<int> offset,
        bool round, bool saturate, int low, int high)
    {
        var even = MultiplyShiftEven(x, m, k, offset, round, saturate, low, high);
        var odd = MultiplyShiftEven(Odd(x), Odd(m), Odd(k), Odd(offset), round, saturate, low, high);
        return Join(even, odd);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<int> AddScaled(Vector256<int> a, Vector256<int> ma, Vector256<int> ka,
        Vector256<int> b, Vector256<int> mb, Vector256<int> kb, int low, int high)
    {
        var even = Clamp(ScaleEven(a, ma, ka, true) + ScaleEven(b, mb, kb, true), low, high);
        var odd = Clamp(ScaleEven(Odd(a), Odd(ma), Odd(ka), true) + ScaleEven(Odd(b), Odd(mb), Odd(kb), true), low, high);
        return Join(even, odd);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong SumUnsigned(Vector256<int> a) =>
        Vector256.Sum(Vector256.WidenLower(a.AsUInt32()) + Vector256.WidenUpper(a.AsUInt32()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector256<int> Low, Vector256<int> High) InterleaveInt16(Vector256<int> a, Vector256<int> b) =>
        (Avx2.UnpackLow(a.AsInt16(), b.AsInt16()).AsInt32(), Avx2.UnpackHigh(a.AsInt16(), b.AsInt16()).AsInt32());

    /// <summary>Low holds columns 0–3 and 8–11, high 4–7 and 12–15 (vpunpck*wd works per 128-bit half).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreInterleaved(Vector256<int> low, Vector256<int> high, ref int destination, nuint index)
    {
        Avx2.Permute2x128(low, high, 0x20).StoreUnsafe(ref destination, index);
        Avx2.Permute2x128(low, high, 0x31).StoreUnsafe(ref destination, index + 8);
    }

    /// <summary>The odd int32 lanes moved to the even positions (the high halves of the 64-bit lanes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Odd(Vector256<int> v) => Avx2.ShiftRightLogical(v.AsInt64(), 32).AsInt32();

    /// <summary>Even results (low halves of 64-bit lanes) and odd results interleaved back into eight int32 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Join(Vector256<long> even, Vector256<long> odd) =>
        Avx2.Blend(even.AsInt32(), Avx2.ShiftLeftLogical(odd, 32).AsInt32(), 0b1010_1010);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<long> MultiplyShiftEven(Vector256<int> x, Vector256<int> m, Vector256<int> k, Vector256<int> offset,
        bool round, bool saturate, int low, int high)
    {
        var r = ScaleEven(x, m, k, round) + Avx2.Multiply(offset, Vector256<int>.One); // vpmuldq by 1 sign-extends
        return saturate ? Clamp(r, low, high) : r;
    }

    /// <summary>The even lanes' <c>(x·m [+ 2^(k−1)]) &gt;&gt; k</c> as int64 (k from the low 32 bits of each 64-bit lane).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<long> ScaleEven(Vector256<int> x, Vector256<int> m, Vector256<int> k, bool round)
    {
        var shift = (k.AsInt64() & Vector256.Create(0xFFFF_FFFFL)).AsUInt64();
        var p = Avx2.Multiply(x, m);
        if (round) p += Avx2.ShiftLeftLogicalVariable(Vector256<long>.One, shift - Vector256<ulong>.One);
        var sign = Avx2.CompareGreaterThan(Vector256<long>.Zero, p);
        var q = Avx2.ShiftRightLogicalVariable(p ^ sign, shift) ^ sign; // arithmetic shift: ~((~p) >>> k) for p < 0
        return round ? Vector256.AndNot(q, Avx2.CompareGreaterThan(shift.AsInt64(), Vector256.Create(62L))) : q;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<long> Clamp(Vector256<long> v, int low, int high)
    {
        var lo = Vector256.Create((long)low);
        var hi = Vector256.Create((long)high);
        v = Avx2.BlendVariable(v, hi, Avx2.CompareGreaterThan(v, hi));
        return Avx2.BlendVariable(v, lo, Avx2.CompareGreaterThan(lo, v));
    }
}
