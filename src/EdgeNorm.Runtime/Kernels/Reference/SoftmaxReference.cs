using EdgeNorm.Runtime.Numerics;

namespace EdgeNorm.Runtime.Kernels.Reference;

/// <summary>
/// Scalar reference of the integer softmax family over one row (docs/numerics.md §5–§6): the exponential
/// of the logits minus the row maximum (masked positions get exactly 0), then either a linear normalisation
/// or 4-bit log2-family codes. A mask is empty (attend everywhere) or one byte per logit, 0 = masked.
/// </summary>
public static class SoftmaxReference
{
    /// <summary>
    /// <c>e[i] = IntExp.IBert(logits[i] − max)</c> over the unmasked logits (max over those); masked → 0. An
    /// all-masked row gives all zeros. Differences below −2^31 are clipped (they are past the 30-octave clip anyway).
    /// </summary>
    public static void IBertExpRow(ReadOnlySpan<int> logits, ReadOnlySpan<byte> mask, in IBertExpParameters p, Span<int> e)
    {
        CheckRow(logits.Length, mask.Length, e.Length);
        long max = long.MinValue;
        for (int i = 0; i < logits.Length; i++)
            if (Attends(mask, i) && logits[i] > max) max = logits[i];
        for (int i = 0; i < logits.Length; i++)
            e[i] = Attends(mask, i) ? IntExp.IBert((int)Math.Max(logits[i] - max, int.MinValue), p) : 0;
    }

    /// <summary><c>e[i] = IntExp.Shift(logits[i] − max)</c> over the unmasked int8 logits; masked → 0.</summary>
    public static void ShiftExpRow(ReadOnlySpan<sbyte> logits, ReadOnlySpan<byte> mask, in ShiftExpParameters p, Span<int> e)
    {
        CheckRow(logits.Length, mask.Length, e.Length);
        int max = int.MinValue;
        for (int i = 0; i < logits.Length; i++)
            if (Attends(mask, i) && logits[i] > max) max = logits[i];
        for (int i = 0; i < logits.Length; i++)
            e[i] = Attends(mask, i) ? IntExp.Shift(logits[i] - max, p) : 0;
    }

    /// <summary>
    /// I-BERT's linear normalisation to uint8 at scale 2^-8 (the <c>--softmax linear</c> alternative):
    /// <c>Σ = Σe</c>, <c>F = ⌊2^32/Σ⌋</c>, <c>out = min((e·F) &gt;&gt; 24, 255)</c>. Before the clamp out ∈ [0, 256] and
    /// Σout ≤ 256; 256 only for a single nonzero e that is a power of two. Needs Σ ≤ 2^32 (e from
    /// <see cref="IBertExpRow"/> with n = 15 and a row of at most 2^17 logits). Σ = 0 gives zeros.
    /// </summary>
    public static void NormalizeLinear(ReadOnlySpan<int> e, Span<byte> probabilities)
    {
        RequantizeReference.CheckLengths(e.Length, probabilities.Length);
        long sum = RowSum(e);
        if (sum > LinearSoftmax.MaxSum)
            throw new ArgumentException($"the exponential row sums to {sum} > 2^32; use 15 output fraction bits");
        long factor = LinearSoftmax.Factor(sum);
        for (int i = 0; i < e.Length; i++) probabilities[i] = LinearSoftmax.Probability(e[i], factor);
    }

    /// <summary>
    /// I-ViT's Shiftmax normalisation to <paramref name="bits"/>-bit codes at scale 2^-(bits−1):
    /// <c>Σ = min(Σe, 2^31 − 1)</c>, <c>F = ⌊(2^31 − 1)/Σ⌋</c>, <c>out = (e·F) &gt;&gt; (32 − bits)</c>; out &lt; 2^(bits−1)
    /// and Σout &lt; 2^(bits−1).
    /// </summary>
    public static void NormalizeShiftmax(ReadOnlySpan<int> e, int bits, Span<int> output)
    {
        RequantizeReference.CheckLengths(e.Length, output.Length);
        if (bits < 2 || bits > 31)
            throw new ArgumentOutOfRangeException(nameof(bits), bits, "Shiftmax output bits must be in [2, 31]");
        long factor = ShiftmaxFactor(e);
        for (int i = 0; i < e.Length; i++) output[i] = (int)((e[i] * factor) >> (32 - bits));
    }

    /// <summary>Shiftmax to int8 at scale 2^-7 (I-ViT's Swin and TVM deployment): the 8-bit case of the overload above.</summary>
    public static void NormalizeShiftmax(ReadOnlySpan<int> e, Span<sbyte> output)
    {
        RequantizeReference.CheckLengths(e.Length, output.Length);
        long factor = ShiftmaxFactor(e);
        for (int i = 0; i < e.Length; i++) output[i] = (sbyte)((e[i] * factor) >> 24);
    }

    /// <summary>Shiftmax to int16 at scale 2^-15 (I-ViT's ViT/DeiT): the 16-bit case.</summary>
    public static void NormalizeShiftmax(ReadOnlySpan<int> e, Span<short> output)
    {
        RequantizeReference.CheckLengths(e.Length, output.Length);
        long factor = ShiftmaxFactor(e);
        for (int i = 0; i < e.Length; i++) output[i] = (short)((e[i] * factor) >> 16);
    }

    private static long ShiftmaxFactor(ReadOnlySpan<int> e)
    {
        long sum = Math.Min(RowSum(e), int.MaxValue);
        return sum == 0 ? 0 : int.MaxValue / sum;
    }

    /// <summary>LIS codes of a row: <c>codes[i] = Log2Codes.Lis(e[i], Σe)</c> (0..15 or <see cref="Log2Codes.Zero"/>).</summary>
    public static void LisCodes(ReadOnlySpan<int> e, Span<byte> codes)
    {
        RequantizeReference.CheckLengths(e.Length, codes.Length);
        long sum = RowSum(e);
        for (int i = 0; i < e.Length; i++) codes[i] = Log2Codes.Lis(e[i], sum);
    }

    /// <summary>log√2 codes of a row: <c>codes[i] = Log2Codes.LogSqrt2(e[i], Σe)</c>.</summary>
    public static void LogSqrt2Codes(ReadOnlySpan<int> e, Span<byte> codes)
    {
        RequantizeReference.CheckLengths(e.Length, codes.Length);
        long sum = RowSum(e);
        for (int i = 0; i < e.Length; i++) codes[i] = Log2Codes.LogSqrt2(e[i], sum);
    }

    /// <summary>Σe in int64 (every e ≥ 0).</summary>
    public static long RowSum(ReadOnlySpan<int> e)
    {
        long sum = 0;
        foreach (int v in e) sum += v;
        return sum;
    }

    private static bool Attends(ReadOnlySpan<byte> mask, int i) => mask.IsEmpty || mask[i] != 0;

    private static void CheckRow(int logits, int mask, int e)
    {
        RequantizeReference.CheckLengths(logits, e);
        if (mask != 0 && mask != logits)
            throw new ArgumentException($"mask has {mask} entries for {logits} logits");
    }
}
