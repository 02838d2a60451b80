using System.Numerics;
using System.Runtime.CompilerServices;

namespace EdgeNorm.Runtime.Numerics;

/// <summary>
/// 4-bit log2-family codes of softmax probabilities <c>p = E/Σ</c> (docs/numerics.md §6), computed from
/// leading-zero counts and compares against shifted Σ — no division per element. A code c means
/// <c>p̂ = 2^-c</c> (LIS) or <c>p̂ = 2^(−c/2)</c> (log√2); <see cref="Zero"/> means p̂ = 0.
/// </summary>
public static class Log2Codes
{
    /// <summary>Largest code of a 4-bit code (0..15).</summary>
    public const int MaxCode = 15;

    /// <summary>The code of a zero probability: E = 0 (masked, or underflowed) or an unclamped code ≥ 16.</summary>
    public const byte Zero = 16;

    /// <summary>Fraction bits of the attention sums: a code c contributes <c>V &lt;&lt; (15 − c)</c> (LIS).</summary>
    public const int SumFractionBits = 15;

    /// <summary><c>round(2^(1/4)·2^16)</c>: log√2 boundary between codes 2j and 2j+1 within an octave.</summary>
    public const int QuarterOctaveBoundary = 77936;

    /// <summary><c>round(2^(3/4)·2^16)</c>: log√2 boundary between codes 2j+1 and 2j+2 within an octave.</summary>
    public const int ThreeQuarterOctaveBoundary = 110218;

    /// <summary><c>round(√2·2^16)</c>: the √2 of the odd log√2 codes when summing dequantised codes.</summary>
    public const int Sqrt2Q16 = 92682;

    /// <summary>
    /// FQ-ViT's LIS code of <c>p = e/sum</c> (0 ≤ e ≤ sum, sum &lt; 2^61), equal to the reference
    /// <c>log_round(R)</c> with <c>R = round_half_even(sum/e)</c> — <c>k = ⌊log2 R⌋</c>, plus 1 when the bit below the
    /// leading one is set (boundary 1.5·2^k) — with unclamped codes ≥ 16 and e = 0 mapped to <see cref="Zero"/>.
    /// Division-free form: with t = sum/e, code 0 iff 2·sum &lt; 3e; code 1 iff 3e ≤ 2·sum ≤ 5e; otherwise
    /// <c>1 + ⌊log2((2·sum + e)/(3e))⌋</c>, the log found by a leading-zero count and one compare.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte Lis(long e, long sum)
    {
        if (e <= 0) return Zero;
        long twoSum = 2 * sum;
        if (twoSum < 3 * e) return 0;  // R = 1 (t < 1.5; the tie 1.5 rounds to 2)
        if (twoSum <= 5 * e) return 1; // R = 2 (t ≤ 2.5; the tie 2.5 rounds to 2)
        // R ≥ 3: R ≥ 3·2^(c−1) ⇔ t ≥ 3·2^(c−1) − ½ (ties round to the even threshold) ⇔ 3e·2^c ≤ 2·sum + e.
        ulong a = (ulong)(twoSum + e), b = 3 * (ulong)e;
        int c = FloorLog2Ratio(a, b);
        return c + 1 > MaxCode ? Zero : (byte)(c + 1);
    }

    /// <summary>
    /// Integer log√2 code of <c>p = e/sum</c> (0 ≤ e ≤ sum, sum &lt; 2^62): <c>round(−2·log2 p)</c> with the
    /// half-octave boundaries 2^(1/4), 2^(3/4) taken as the 16-bit fractions <see cref="QuarterOctaveBoundary"/>,
    /// <see cref="ThreeQuarterOctaveBoundary"/>: with <c>k = ⌊log2(sum/e)⌋</c>, code = 2k + [sum·2^16 ≥ e·2^k·77936]
    /// + [sum·2^16 ≥ e·2^k·110218]. Codes ≥ 16 and e = 0 give <see cref="Zero"/> (p̂ = 2^(−c/2), Δ = 1).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte LogSqrt2(long e, long sum)
    {
        if (e <= 0) return Zero;
        int k = FloorLog2Ratio((ulong)sum, (ulong)e);
        if (k > MaxCode / 2) return Zero; // code ≥ 16
        UInt128 lhs = (UInt128)(ulong)sum << 16;
        UInt128 octave = (ulong)e << k; // ≤ sum
        int code = 2 * k + (lhs >= octave * QuarterOctaveBoundary ? 1 : 0) + (lhs >= octave * ThreeQuarterOctaveBoundary ? 1 : 0);
        return code > MaxCode ? Zero : (byte)code;
    }

    /// <summary>
    /// Integer sum of the dequantised LIS codes of a row at scale 2^-15: <c>S = Σ_{c≠Zero} 2^(15 − c)</c>.
    /// For a softmax row S &lt; 1.5·2^15 (docs/numerics.md §6.3).
    /// </summary>
    public static int DequantizedSumLis(ReadOnlySpan<byte> codes)
    {
        int s = 0;
        foreach (byte c in codes)
            if (c <= MaxCode) s += 1 << (SumFractionBits - c);
        return s;
    }

    /// <summary>
    /// Integer sum of the dequantised log√2 codes at scale 2^-15:
    /// <c>S = S_even + ⌊(S_odd·Sqrt2Q16 + 2^15) / 2^16⌋</c> with <c>S_even = Σ_{c even} 2^(15 − c/2)</c>,
    /// <c>S_odd = Σ_{c odd} 2^(15 − (c+1)/2)</c> (the rounding rule with multiplier 92682 and shift 16).
    /// </summary>
    public static int DequantizedSumLogSqrt2(ReadOnlySpan<byte> codes)
    {
        int even = 0, odd = 0;
        foreach (byte c in codes)
        {
            if (c > MaxCode) continue;
            if ((c & 1) == 0) even += 1 << (SumFractionBits - (c >> 1));
            else odd += 1 << (SumFractionBits - ((c + 1) >> 1));
        }
        return even + (int)Requantizer.Scale(odd, Sqrt2Q16, 16);
    }

    /// <summary>
    /// Row factor of the optional renormalisation: <c>G = ⌊2^31 / S⌋</c> for the dequantised sum S ≥ 1
    /// (S = 0, an all-zero row, gives G = 0). An attention sum is then renormalised by
    /// <see cref="Renormalize"/>.
    /// </summary>
    public static int RenormalizationFactor(int dequantizedSum) =>
        dequantizedSum <= 0 ? 0 : (int)Math.Min((1L << 31) / dequantizedSum, int.MaxValue);

    /// <summary>
    /// Renormalised attention sum: <c>acc·2^15/S ≈ (acc·G + 2^15) &gt;&gt; 16</c> — the one rounding rule with
    /// multiplier G and shift 16. Keeps the scale of <paramref name="acc"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Renormalize(int acc, int factor) => Saturate.ToInt32(Requantizer.Scale(acc, factor, 16));

    /// <summary><c>⌊log2(a/b)⌋</c> for a ≥ b ≥ 1, a &lt; 2^63: bit-length difference, minus one if b shifted overshoots.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int FloorLog2Ratio(ulong a, ulong b)
    {
        int c = BitOperations.LeadingZeroCount(b) - BitOperations.LeadingZeroCount(a);
        return (b << c) > a ? c - 1 : c;
    }
}
