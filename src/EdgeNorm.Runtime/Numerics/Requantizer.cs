using System.Runtime.CompilerServices;

namespace EdgeNorm.Runtime.Numerics;

/// <summary>
/// The one requantisation rule (docs/numerics.md §3): <c>y = (x·m + 2^(k−1)) &gt;&gt; k</c> evaluated exactly in
/// 64-bit, i.e. <c>⌊x·m/2^k + ½⌋</c> — round half up (ties toward +∞) — followed by an optional output offset
/// (zero point or bias in output units) and saturation to the storage width. Every kernel that changes a
/// scale calls <see cref="Scale(int, int, int)"/>; vector paths must reproduce it bit for bit.
/// </summary>
public static class Requantizer
{
    /// <summary>
    /// The rule itself: <c>(x·m + 2^(k−1)) &gt;&gt; k</c> with an arithmetic shift, for 0 ≤ m &lt; 2^31 and any
    /// shift k ≥ 1. For k ≥ 63 the exact result is 0 for every int32 x (|x·m| &lt; 2^62 ≤ 2^(k−1)), which is
    /// what is returned; that is how the i-exp's extra shift by z (up to 30) stays exact.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long Scale(int x, int multiplier, int shift)
    {
        if (shift > DyadicMultiplier.MaxShift) return 0;
        return ((long)x * multiplier + (1L << (shift - 1))) >> shift;
    }

    /// <summary><see cref="Scale(int, int, int)"/> with a <see cref="DyadicMultiplier"/>; unsaturated.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long Scale(int x, DyadicMultiplier m) => Scale(x, m.Multiplier, m.Shift);

    /// <summary>Requantises to int8: <c>sat8(Scale(x) + offset)</c>. offset is the output zero point (0 when symmetric).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static sbyte ToInt8(int x, DyadicMultiplier m, int offset = 0) => Saturate.ToInt8(Scale(x, m) + offset);

    /// <summary>Requantises to uint8: <c>satU8(Scale(x) + zeroPoint)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte ToUInt8(int x, DyadicMultiplier m, int zeroPoint) => Saturate.ToUInt8(Scale(x, m) + zeroPoint);

    /// <summary>Requantises to int16: <c>sat16(Scale(x) + offset)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static short ToInt16(int x, DyadicMultiplier m, int offset = 0) => Saturate.ToInt16(Scale(x, m) + offset);

    /// <summary>Requantises to int32: <c>sat32(Scale(x) + offset)</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int ToInt32(int x, DyadicMultiplier m, int offset = 0) => Saturate.ToInt32(Scale(x, m) + offset);

    /// <summary>
    /// Sum of two operands at different scales in the output scale (residual add, and the even/odd sums of
    /// the log√2 attention): each operand is rounded by the rule with its own multiplier, then added;
    /// the caller saturates. Unsaturated result, |·| &lt; 2^62.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long AddScaled(int a, DyadicMultiplier ma, int b, DyadicMultiplier mb) => Scale(a, ma) + Scale(b, mb);
}
