using System.Numerics;
using System.Runtime.CompilerServices;

namespace EdgeNorm.Runtime.Numerics;

/// <summary>Integer helpers shared by the kernels: exact square root, floor division, the rounded mean (docs/numerics.md §4).</summary>
public static class IntMath
{
    /// <summary>
    /// Exact <c>⌊√v⌋</c> for every 64-bit v: integer Newton (Heron) from <c>x0 = 2^⌈bits(v)/2⌉ ≥ √v</c>,
    /// <c>x ← ⌊(x + ⌊v/x⌋)/2⌋</c> until the new value is not smaller, then the previous value. The floored
    /// sequence decreases monotonically to ⌊√v⌋: at most 6 decreasing steps and one final check (7 divisions)
    /// for any 64-bit v.
    /// </summary>
    public static ulong Isqrt(ulong v) => Isqrt(v, out _);

    /// <summary><see cref="Isqrt(ulong)"/> that also reports how many Newton steps decreased x (the final check not counted).</summary>
    internal static ulong Isqrt(ulong v, out int steps)
    {
        steps = 0;
        if (v == 0) return 0;
        int bits = 64 - BitOperations.LeadingZeroCount(v);
        ulong x = 1UL << ((bits + 1) >> 1); // ≤ 2^32, so x + v/x < 2^33: no overflow
        while (true)
        {
            ulong next = (x + v / x) >> 1;
            if (next >= x) return x;
            x = next;
            steps++;
        }
    }

    /// <summary><c>⌊a/b⌋</c> for b &gt; 0 (C#'s <c>/</c> truncates toward zero; this rounds toward −∞).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long FloorDiv(long a, long b)
    {
        long q = a / b;
        return (a % b != 0 && a < 0) ? q - 1 : q;
    }

    /// <summary>
    /// <c>a/b</c> rounded half up (ties toward +∞), <c>⌊a/b + ½⌋</c>, for b &gt; 0 — the same tie rule as
    /// <see cref="Requantizer"/>. Exact for every long a and 0 &lt; b &lt; 2^62.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long DivRoundHalfUp(long a, long b)
    {
        long q = FloorDiv(a, b);
        long rem = a - q * b; // in [0, b)
        return 2 * rem >= b ? q + 1 : q;
    }

    /// <summary>
    /// Row mean of a normalisation (docs/numerics.md §8.1): <c>μ = ⌊Σq/C + ½⌋</c> (round half up), from the
    /// int64 sum and the row length C ≥ 1.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int RoundedMean(long sum, int count) => (int)DivRoundHalfUp(sum, count);
}
