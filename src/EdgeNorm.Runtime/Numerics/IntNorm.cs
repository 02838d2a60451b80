using System.Runtime.CompilerServices;

namespace EdgeNorm.Runtime.Numerics;

/// <summary>
/// The per-row rules of the integer normalisations (docs/numerics.md §8): the reciprocal factor of the row's
/// spread and the normalised value <c>ŷ = ⌊y·F/2⌋ ≈ 2^30·y/spread</c>.
/// </summary>
public static class IntNorm
{
    /// <summary><c>F = ⌊2^31/spread⌋</c> for spread ≥ 1 (σ_q of LayerNorm, D of L1Norm); 0 for spread 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long ReciprocalFactor(long spread) => spread <= 0 ? 0 : (1L << 31) / spread;

    /// <summary>
    /// <c>ŷ = ⌊y·F/2⌋ = (y·F) &gt;&gt; 1</c>, saturated to int32. |ŷ| ≤ 2^30 whenever |y| ≤ spread (always for
    /// L1Norm, and for LayerNorm without an overflow shift).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Normalized(long y, long factor) => Saturate.ToInt32((y * factor) >> 1);

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
        int log2C = 64 - System.Numerics.BitOperations.LeadingZeroCount((ulong)channels - 1); // ⌈log2 C⌉
        int excess = 2 * inputBits + log2C - 64;
        return excess <= 0 ? 0 : (excess + 1) / 2;
    }
}
