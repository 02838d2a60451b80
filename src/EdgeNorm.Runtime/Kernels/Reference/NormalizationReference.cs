using System.Numerics;
using EdgeNorm.Runtime.Numerics;

namespace EdgeNorm.Runtime.Kernels.Reference;

/// <summary>
/// Scalar reference of the integer normalisations over one row of C channels (docs/numerics.md §8). Both
/// write <c>ŷ</c> (int32, |ŷ| ≤ 2^30) at a fixed scale; γ, β and the output scale are the next per-channel
/// requantisation's business. Inputs are the int16 residual stream or any int32 codes.
/// </summary>
public static class NormalizationReference
{
    /// <summary>
    /// L1Norm: <c>μ = ⌊Σq/C + ½⌋</c>, <c>D = Σ|q − μ|</c>, <c>(F, sh) = IntNorm.ReciprocalFactor(D)</c>,
    /// <c>ŷ = ⌊(q − μ)·F/2^sh⌋ ≈ 2^30·(q − μ)/D</c>; D = 0 gives 0.
    /// Output scale <c>C/(c·2^30)</c> (c: the model's constant on the mean absolute deviation). <paramref name="epsilon"/>
    /// is the float op's ε in D units, <c>ε_D = round(ε·C/(c·s))</c> (§8.4), added to D: the spread is <c>D + ε_D</c>.
    /// </summary>
    public static void L1NormRow(ReadOnlySpan<short> row, Span<int> dst, long epsilon = 0) => L1Norm(row, dst, epsilon);

    /// <inheritdoc cref="L1NormRow(ReadOnlySpan{short}, Span{int}, long)"/>
    public static void L1NormRow(ReadOnlySpan<int> row, Span<int> dst, long epsilon = 0) => L1Norm(row, dst, epsilon);

    /// <summary>
    /// LayerNorm (I-BERT, with an exact isqrt): <c>μ = ⌊Σq/C + ½⌋</c>, <c>y = q − μ</c>,
    /// <c>V = Σ(y &gt;&gt; sh)²</c> (uint64), <c>σ_q = isqrt(V)·2^sh</c>, <c>(F, t) = IntNorm.ReciprocalFactor(σ_q)</c>,
    /// <c>ŷ = ⌊y·F/2^t⌋ ≈ 2^30·y/σ_q</c> (saturated to int32); V = 0 gives 0. Output scale <c>√C/2^30</c>. <paramref name="overflowShift"/> must be
    /// at least <see cref="IntNorm.MinimumOverflowShift"/> for the input's bit width (0 for int16). <paramref name="epsilon"/>
    /// is the float op's ε in V units, <c>ε_V = round(C·ε/(s²·4^sh))</c> (§8.5), added to V before the square root.
    /// </summary>
    public static void LayerNormRow(ReadOnlySpan<short> row, Span<int> dst, int overflowShift = 0, long epsilon = 0) => LayerNorm(row, dst, overflowShift, epsilon);

    /// <inheritdoc cref="LayerNormRow(ReadOnlySpan{short}, Span{int}, int, long)"/>
    public static void LayerNormRow(ReadOnlySpan<int> row, Span<int> dst, int overflowShift, long epsilon = 0) => LayerNorm(row, dst, overflowShift, epsilon);

    private static void L1Norm<T>(ReadOnlySpan<T> row, Span<int> dst, long epsilon) where T : unmanaged, IBinaryInteger<T>
    {
        CheckEpsilon(epsilon);
        int mean = Mean(row, dst.Length);
        long d = epsilon;
        foreach (T q in row) d += Math.Abs(long.CreateTruncating(q) - mean);
        int factor = IntNorm.ReciprocalFactor(d, out int shift);
        for (int i = 0; i < row.Length; i++) dst[i] = IntNorm.Normalized(long.CreateTruncating(row[i]) - mean, factor, shift);
    }

    private static void LayerNorm<T>(ReadOnlySpan<T> row, Span<int> dst, int overflowShift, long epsilon) where T : unmanaged, IBinaryInteger<T>
    {
        if (overflowShift < 0 || overflowShift > 31)
            throw new ArgumentOutOfRangeException(nameof(overflowShift), overflowShift, "the overflow shift must be in [0, 31]");
        CheckEpsilon(epsilon);
        int mean = Mean(row, dst.Length);
        ulong v = (ulong)epsilon;
        foreach (T q in row)
        {
            long y = (long.CreateTruncating(q) - mean) >> overflowShift;
            v += (ulong)(y * y);
        }
        long sigma = (long)IntMath.Isqrt(v) << overflowShift;
        int factor = IntNorm.ReciprocalFactor(sigma, out int shift);
        for (int i = 0; i < row.Length; i++) dst[i] = IntNorm.Normalized(long.CreateTruncating(row[i]) - mean, factor, shift);
    }

    /// <summary>ε in spread units is in [0, 2^40]: larger would dominate every row (the quantiser clamps it there).</summary>
    private static void CheckEpsilon(long epsilon)
    {
        if (epsilon < 0 || epsilon > IntNorm.MaxEpsilon)
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "ε in spread units must be in [0, 2^40]");
    }

    private static int Mean<T>(ReadOnlySpan<T> row, int dstLength) where T : unmanaged, IBinaryInteger<T>
    {
        RequantizeReference.CheckLengths(row.Length, dstLength);
        if (row.IsEmpty) throw new ArgumentException("a normalised row needs at least one channel");
        long sum = 0;
        foreach (T q in row) sum += long.CreateTruncating(q);
        return IntMath.RoundedMean(sum, row.Length);
    }
}
