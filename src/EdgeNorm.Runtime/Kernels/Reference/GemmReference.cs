namespace EdgeNorm.Runtime.Kernels.Reference;

/// <summary>Scalar reference int8 GEMM: int32 accumulators, exact.</summary>
public static class GemmReference
{
    /// <summary><c>acc[n] = bias[n] + Σ_k x[k]·w[n·K + k]</c> for one input row x (length K) and row-major W[N, K].</summary>
    public static void Row(ReadOnlySpan<sbyte> x, ReadOnlySpan<sbyte> w, ReadOnlySpan<int> bias, Span<int> acc)
    {
        int k = x.Length, n = acc.Length;
        if ((long)n * k != w.Length) throw new ArgumentException($"W has {w.Length} elements, expected {n}·{k}");
        if (!bias.IsEmpty && bias.Length != n) throw new ArgumentException($"bias has {bias.Length} entries for {n} outputs");
        for (int j = 0; j < n; j++)
        {
            ReadOnlySpan<sbyte> wr = w.Slice(j * k, k);
            int s = bias.IsEmpty ? 0 : bias[j];
            for (int i = 0; i < k; i++) s += x[i] * wr[i];
            acc[j] = s;
        }
    }
}
