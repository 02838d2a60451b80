using System.Numerics;
using System.Runtime.CompilerServices;

namespace EdgeNorm.Runtime.Numerics;

/// <summary>
/// The per-row rules of the integer normalisations (docs/numerics.md §8): the row's normaliser, a dyadic
/// reciprocal of its spread computed with one division, and the normalised value <c>ŷ ≈ 2^30·y/spread</c>.
/// </summary>
public static class IntNorm
{
    /// <summary>
    /// Largest ε in spread units (ε_V of LayerNorm, ε_D of L1Norm, docs/numerics.md §8.4–8.5), 2^40: keeps
    /// <c>V + ε_V</c> inside uint64 for every row an int16 input can produce and D + ε_D far inside int64.
    /// </summary>
    public const long MaxEpsilon = 1L << 40;

    /// <summary>
    /// Normaliser of a row with spread S ≥ 1 (σ_q of LayerNorm, D of L1Norm): with <c>b = bitlen(S)</c>
    /// (2^(b−1) ≤ S &lt; 2^b), <c>F = ⌊2^(b+29)/S⌋ ∈ (2^29, 2^30]</c> and <paramref name="shift"/> = b − 1, so that
    /// <c>F/2^shift ≈ 2^30/S</c> with relative error &lt; 2^-29 for every S (I-BERT's <c>⌊2^31/S⌋</c> keeps only
    /// 31 − b bits and is 0 once S ≥ 2^31). S ≤ 0 gives F = 0 (the row normalises to 0).
    /// </summary>
    public static int ReciprocalFactor(long spread, out int shift)
    {
        if (spread <= 0)
        {
            shift = 0;
            return 0;
        }
        int bits = 64 - BitOperations.LeadingZeroCount((ulong)spread);
        shift = bits - 1;
        return (int)(((UInt128)1 << (bits + 29)) / (ulong)spread);
    }

    /// <summary>
    /// <c>ŷ = ⌊y·F/2^shift⌋ = (y·F) &gt;&gt; shift</c>, saturated to int32 (|y| &lt; 2^32). |ŷ| ≤ 2^30 whenever |y| ≤ S
    /// (always for L1Norm, and for LayerNorm without an overflow shift).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Normalized(long y, int factor, int shift) => Saturate.ToInt32((y * factor) >> shift);

    /// <summary>
    /// Smallest LayerNorm overflow shift sh with <c>C·(2^bits/2^sh)² ≤ 2^64</c>, so that
    /// <c>V = Σ((q − μ) &gt;&gt; sh)²</c> fits uint64 for any row of C codes of <paramref name="inputBits"/> bits
    /// (|q − μ| &lt; 2^bits). 0 for int16 input up to C = 2^32, 5 for full int32 input at C = 768.
    /// </summary>
    public static int MinimumOverflowShift(int inputBits, int channels)
    {
        if (inputBits < 1 || inputBits > 32)
            throw new ArgumentOutOfRangeException(nameof(inputBits), inputBits, "input bits must be in [1, 32]");
        if (channels < 1)
            throw new ArgumentOutOfRangeException(nameof(channels), channels, "channels must be positive");
        int log2C = 64 - BitOperations.LeadingZeroCount((ulong)channels - 1); // ⌈log2 C⌉
        int excess = 2 * inputBits + log2C - 64;
        return excess <= 0 ? 0 : (excess + 1) / 2;
    }
}
