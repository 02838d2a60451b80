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
    /// Output scale <c>C/(c·2^30)</c> (c: the model's constant on the mean absolute deviation).
    /// </summary>
    public static void L1NormRow(ReadOnlySpan<short> row, Span<int> dst) => L1Norm(row, dst);

    /// <inheritdoc cref="L1NormRow(ReadOnlySpan{short}, Span{int})"/>
    public static void L1NormRow(ReadOnlySpan<int> row, Span<int> dst) => L1Norm(row, dst);

    /// <summary>
    /// LayerNorm (I-BERT, with an exact isqrt): <c>μ = ⌊Σq/C + ½⌋</c>, <c>y = q − μ</c>,
    /// <c>V = Σ(y &gt;&gt; sh)²</c> (uint64), <c>σ_q = isqrt(V)·2^sh</c>, <c>(F, t) = IntNorm.ReciprocalFactor(σ_q)</c>,
    /// <c>ŷ = ⌊y·F/2^t⌋ ≈ 2^30·y/σ_q</c> (saturated to int32); V = 0 gives 0. Output scale <c>√C/2^30</c>. <paramref name="overflowShift"/> must be
    /// at least <see cref="IntNorm.MinimumOverflowShift"/> for the input's bit width (0 for int16).
    /// </summary>
    public static void LayerNormRow(ReadOnlySpan<short> row, Span<int> dst, int overflowShift = 0) => LayerNorm(row, dst, overflowShift);

    /// <inheritdoc cref="LayerNormRow(ReadOnlySpan{short}, Span{int}, int)"/>
    public static void LayerNormRow(ReadOnlySpan<int> row, Span<int> dst, int overflowShift) => LayerNorm(row, dst, overflowShift);

    private static void L1Norm<T>(ReadOnlySpan<T> row, Span<int> dst) where T : unmanaged, IBinaryInteger<T>
    {
        int mean = Mean(row, dst.Length);
        long d = 0;
        foreach (T q in row) d += Math.Abs(long.CreateTruncating(q) - mean);
        int factor = IntNorm.ReciprocalFactor(d, out int shift);
        for (int i = 0; i < row.Length; i++) dst[i] = IntNorm.Normalized(long.CreateTruncating(row[i]) - mean, factor, shift);
    }

    private static void LayerNorm<T>(ReadOnlySpan<T> row, Span<int> dst, int overflowShift) where T : unmanaged, IBinaryInteger<T>
    {
        if (overflowShift < 0 || overflowShift > 31)
            throw new ArgumentOutOfRangeException(nameof(overflowShift), overflowShift, "the overflow shift must be in [0, 31]");
        int mean = Mean(row, dst.Length);
        ulong v = 0;
        foreach (T q in row)
        {
            long y = (long.CreateTruncating(q) - mean) >> overflowShift;
            v += (ulong)(y * y);
        }
        long sigma = (long)IntMath.Isqrt(v) << overflowShift;
        int factor = IntNorm.ReciprocalFactor(sigma, out int shift);
        for (int i = 0; i < row.Length; i++) dst[i] = IntNorm.Normalized(long.CreateTruncating(row[i]) - mean, factor, shift);
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
