using System.Runtime.CompilerServices;

namespace EdgeNorm.Runtime.Numerics;

/// <summary>
/// The linear (I-BERT) softmax rule, <c>--softmax linear</c> (docs/numerics.md §5.4): i-exp with
/// <see cref="ExpFractionBits"/> output bits, one division per row, uint8 probabilities at the fixed scale
/// 2^-<see cref="ProbabilityBits"/>.
/// </summary>
public static class LinearSoftmax
{
    /// <summary>Fraction bits of the i-exp feeding the row (E ≈ e^x·2^15): keeps Σ ≤ 2^32 for rows up to 2^17 logits.</summary>
    public const int ExpFractionBits = 15;

    /// <summary>Fraction bits of a probability: p̂ = out·2^-8.</summary>
    public const int ProbabilityBits = 8;

    /// <summary>Largest row sum the rule accepts, 2^32.</summary>
    public const long MaxSum = 1L << 32;

    /// <summary><c>F = ⌊2^32/Σ⌋</c> (Σ = 0, an all-masked row: 0). Σ must be in [0, 2^32].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static long Factor(long sum) => sum == 0 ? 0 : MaxSum / sum;

    /// <summary><c>out = min((E·F) &gt;&gt; 24, 255)</c>: the uint8 probability of one exponential.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte Probability(int e, long factor) => (byte)Math.Min((e * factor) >> (32 - ProbabilityBits), byte.MaxValue);
}
