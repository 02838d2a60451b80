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

    /// <summary>
    /// The same as <see cref="Row"/> on the canonical packed image (format.md §5.2: N in panels of 16, K in groups
    /// of 4, zero padded): <c>W[n, k]</c> is at byte <c>((n/16)·Kp/4 + k/4)·64 + (n%16)·4 + k%4</c>.
    /// </summary>
    public static void PackedRow(ReadOnlySpan<sbyte> x, ReadOnlySpan<byte> packed, ReadOnlySpan<int> bias, Span<int> acc)
    {
        int k = x.Length, n = acc.Length;
        int groups = (k + 3) / 4, panels = (n + 15) / 16;
        if ((long)panels * groups * 64 > packed.Length)
            throw new ArgumentException($"the packed image has {packed.Length} bytes, [{n},{k}] needs {(long)panels * groups * 64} + column sums");
        if (!bias.IsEmpty && bias.Length != n) throw new ArgumentException($"bias has {bias.Length} entries for {n} outputs");
        for (int j = 0; j < n; j++)
        {
            int s = bias.IsEmpty ? 0 : bias[j];
            int rowBase = (j / 16) * groups * 64 + (j % 16) * 4;
            for (int g = 0; g < groups; g++)
            {
                var w = packed.Slice(rowBase + g * 64, 4);
                int i0 = g * 4, end = Math.Min(4, k - i0);
                for (int t = 0; t < end; t++) s += x[i0 + t] * (sbyte)w[t];
            }
            acc[j] = s;
        }
    }
}
