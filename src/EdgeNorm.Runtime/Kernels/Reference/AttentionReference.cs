using EdgeNorm.Runtime.Numerics;

namespace EdgeNorm.Runtime.Kernels.Reference;

/// <summary>
/// Scalar reference of attention × V with log2-family probability codes (docs/numerics.md §6.3): shifts
/// and adds only, exact (no bit of V·2^-code is lost). V is row-major <c>[N, d]</c> int8, codes has N entries,
/// the sums have d entries.
/// </summary>
public static class AttentionReference
{
    /// <summary>
    /// LIS: <c>acc[j] = Σ_{i: code_i ≠ Zero} V[i, j] &lt;&lt; (15 − code_i)</c>, scale <c>s_v·2^-15</c> — exactly
    /// <c>2^15·Σ 2^-code_i·V[i, j]</c>. No overflow for a softmax row of any length (|acc| &lt; 1.5·2^22);
    /// for arbitrary codes, N ≤ 511.
    /// </summary>
    public static void LisWeightedSum(ReadOnlySpan<byte> codes, ReadOnlySpan<sbyte> v, Span<int> acc)
    {
        int d = CheckShapes(codes.Length, v.Length, acc.Length);
        acc.Clear();
        for (int i = 0; i < codes.Length; i++)
        {
            int code = codes[i];
            if (code > Log2Codes.MaxCode) continue;
            int shift = Log2Codes.SumFractionBits - code;
            ReadOnlySpan<sbyte> row = v.Slice(i * d, d);
            for (int j = 0; j < d; j++) acc[j] += row[j] << shift;
        }
    }

    /// <summary>
    /// log√2: two sums at scale <c>s_v·2^-15</c>, <c>even[j] = Σ_{code even} V[i, j] &lt;&lt; (15 − code/2)</c> and
    /// <c>odd[j] = Σ_{code odd} V[i, j] &lt;&lt; (15 − (code+1)/2)</c>; the value is <c>even + √2·odd</c>, the √2
    /// going into the odd sum's requant multiplier (<see cref="Requantizer.AddScaled"/>).
    /// </summary>
    public static void LogSqrt2WeightedSums(ReadOnlySpan<byte> codes, ReadOnlySpan<sbyte> v, Span<int> even, Span<int> odd)
    {
        int d = CheckShapes(codes.Length, v.Length, even.Length);
        RequantizeReference.CheckLengths(even.Length, odd.Length);
        even.Clear();
        odd.Clear();
        for (int i = 0; i < codes.Length; i++)
        {
            int code = codes[i];
            if (code > Log2Codes.MaxCode) continue;
            ReadOnlySpan<sbyte> row = v.Slice(i * d, d);
            if ((code & 1) == 0)
            {
                int shift = Log2Codes.SumFractionBits - (code >> 1);
                for (int j = 0; j < d; j++) even[j] += row[j] << shift;
            }
            else
            {
                int shift = Log2Codes.SumFractionBits - ((code + 1) >> 1);
                for (int j = 0; j < d; j++) odd[j] += row[j] << shift;
            }
        }
    }

    /// <summary>
    /// Linear softmax (<c>--softmax linear</c>, docs/numerics.md §6.5): <c>acc[j] = Σ_i p_i·V[i, j]</c> with uint8
    /// probabilities p at scale 2^-8 (<see cref="SoftmaxReference.NormalizeLinear"/>), int8 × uint8 → int32 at
    /// scale <c>s_v·2^-8</c>. Exact; |acc| ≤ 128·Σp ≤ 2^15 for a softmax row (Σp ≤ 256), N·2^15 for any p.
    /// </summary>
    public static void LinearWeightedSum(ReadOnlySpan<byte> probabilities, ReadOnlySpan<sbyte> v, Span<int> acc)
    {
        int d = CheckShapes(probabilities.Length, v.Length, acc.Length);
        acc.Clear();
        for (int i = 0; i < probabilities.Length; i++)
        {
            int p = probabilities[i];
            if (p == 0) continue;
            ReadOnlySpan<sbyte> row = v.Slice(i * d, d);
            for (int j = 0; j < d; j++) acc[j] += p * row[j];
        }
    }

    /// <summary>
    /// Optional renormalisation of attention sums by the row's dequantised code sum S
    /// (<see cref="Log2Codes.DequantizedSumLis"/> or <see cref="Log2Codes.DequantizedSumLogSqrt2"/>):
    /// <c>acc[j] ← (acc[j]·G + 2^15) &gt;&gt; 16</c>, <c>G = ⌊2^31/S⌋</c>. Same scale before and after.
    /// </summary>
    public static void Renormalize(Span<int> acc, int dequantizedSum)
    {
        int factor = Log2Codes.RenormalizationFactor(dequantizedSum);
        for (int j = 0; j < acc.Length; j++) acc[j] = Log2Codes.Renormalize(acc[j], factor);
    }

    private static int CheckShapes(int n, int v, int d)
    {
        if ((long)n * d != v)
            throw new ArgumentException($"V has {v} elements, expected {n}·{d}");
        return d;
    }
}
