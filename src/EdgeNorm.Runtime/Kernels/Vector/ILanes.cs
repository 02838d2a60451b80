using System.Runtime.Intrinsics;

namespace EdgeNorm.Runtime.Kernels.Vector;

/// <summary>
/// One vector width of int32 lanes (<see cref="Lanes128"/>, <see cref="Lanes256"/>): the few operations the
/// non-GEMM kernels need, so each kernel is written once as a generic method and the JIT specialises it per width
/// (the TensorPrimitives operator-struct pattern; <c>ISimdVector</c> is not public in .NET 10). Loads and stores take
/// a reference and an element index, like <see cref="Vector128.LoadUnsafe{T}(ref readonly T, nuint)"/>: callers
/// keep indices in range. The 64-bit steps of the rounding rule live here because that is where the ISAs differ.
/// </summary>
internal interface ILanes<TV> where TV : struct
{
    /// <summary>int32 lanes per vector.</summary>
    static abstract int Count { get; }

    static abstract TV Create(int value);
    static abstract TV Load(ref int source, nuint index);

    /// <summary>Count int16 values sign-extended to int32.</summary>
    static abstract TV LoadInt16(ref short source, nuint index);

    /// <summary>Count int8 values sign-extended to int32.</summary>
    static abstract TV LoadSByte(ref sbyte source, nuint index);

    static abstract void Store(TV value, ref int destination, nuint index);

    /// <summary>Stores the low 16 bits of each lane (callers clamp first).</summary>
    static abstract void StoreInt16(TV value, ref short destination, nuint index);

    /// <summary>Stores the low 8 bits of each lane (callers clamp first).</summary>
    static abstract void StoreByte(TV value, ref byte destination, nuint index);

    static abstract TV Add(TV a, TV b);
    static abstract TV Subtract(TV a, TV b);

    /// <summary>Low 32 bits of the lane products (C#'s unchecked int multiply).</summary>
    static abstract TV Multiply(TV a, TV b);
    static abstract TV Min(TV a, TV b);
    static abstract TV Max(TV a, TV b);
    static abstract TV Abs(TV a);
    static abstract TV And(TV a, TV b);

    /// <summary>All-ones lanes where a ≤ b, zero elsewhere.</summary>
    static abstract TV LessThanOrEqual(TV a, TV b);
    static abstract TV Equals(TV a, TV b);

    /// <summary>Lanes of <paramref name="ifTrue"/> where <paramref name="mask"/> is all-ones, else of <paramref name="ifFalse"/>.</summary>
    static abstract TV Select(TV mask, TV ifTrue, TV ifFalse);
    static abstract TV ShiftLeft(TV a, int count);
    static abstract TV ShiftRightArithmetic(TV a, int count);
    static abstract TV ShiftRightLogical(TV a, int count);
    static abstract TV Or(TV a, TV b);

    /// <summary>Σ of the lanes (wrapping int32).</summary>
    static abstract int Sum(TV a);

    /// <summary>Largest lane.</summary>
    static abstract int MaxAcross(TV a);

    /// <summary>
    /// vpmaddwd: both operands hold 2·Count int16 (reinterpreted); lane i = a[2i]·b[2i] + a[2i+1]·b[2i+1], exact
    /// (the only wrap is −32768·−32768·2, which no caller produces).
    /// </summary>
    static abstract TV MultiplyAddPairs(TV a, TV b);

    /// <summary>
    /// Per lane, exactly in 64-bit: <c>p = x·m</c> (m ≥ 0), then with <paramref name="round"/> the rule of
    /// <see cref="Numerics.Requantizer.Scale(int, int, int)"/> — <c>(p + 2^(k−1)) &gt;&gt; k</c>, 0 when k &gt; 62 —
    /// else <c>p &gt;&gt; k</c> (floor, k ≤ 62); then <c>+ offset</c>; then, with <paramref name="saturate"/>, clamped to
    /// [<paramref name="low"/>, <paramref name="high"/>], else truncated to the low 32 bits (C#'s <c>(int)</c> cast).
    /// </summary>
    static abstract TV MultiplyShift(TV x, TV m, TV k, TV offset, bool round, bool saturate, int low, int high);

    /// <summary>
    /// <c>clamp(Scale(a; ma, ka) + Scale(b; mb, kb), low, high)</c> in 64-bit:
    /// <see cref="Numerics.Requantizer.AddScaled"/> followed by saturation.
    /// </summary>
    static abstract TV AddScaled(TV a, TV ma, TV ka, TV b, TV mb, TV kb, int low, int high);

    /// <summary>Σ over lanes of the unsigned 32-bit lane values, into 64-bit (for sums of squares).</summary>
    static abstract ulong SumUnsigned(TV a);

    /// <summary>
    /// The int16 halves of <paramref name="a"/> and <paramref name="b"/> interleaved, (a0, b0, a1, b1, …): the low and
    /// the high half of the columns, each as int32 lanes of (a_j, b_j) pairs for <see cref="MultiplyAddPairs"/>. The
    /// 256-bit form interleaves within 128-bit halves; <see cref="StoreInterleaved"/> puts the columns back in order.
    /// </summary>
    static abstract (TV Low, TV High) InterleaveInt16(TV a, TV b);

    /// <summary>
    /// Stores the 2·Count int32 column results of one <see cref="InterleaveInt16"/> pair (per column, in the lane order
    /// it produced) at <paramref name="destination"/>[index …] in column order.
    /// </summary>
    static abstract void StoreInterleaved(TV low, TV high, ref int destination, nuint index);
}
