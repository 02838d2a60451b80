namespace EdgeNorm.Runtime.Kernels.Gemm;

/// <summary>
/// Packs int8 rows into the GEMM's constant-operand layout at run time (format.md §5.2: panels of 16 rows, K groups
/// of 4 bytes, zero padded) — for operands that are activations, like a head's keys in Q·Kᵀ, so they can run on the
/// same micro-kernels as the model's weights.
/// </summary>
internal static unsafe class PanelPacker
{
    /// <summary>Bytes of the panels of <paramref name="n"/> rows of length <paramref name="k"/>.</summary>
    public static long Bytes(int n, int k) => (long)Panels(n) * 16 * Groups(k) * 4;

    public static int Panels(int n) => (n + 15) / 16;

    public static int Groups(int k) => (k + 3) / 4;

    /// <summary>
    /// Row j of <paramref name="n"/> (<paramref name="k"/> bytes at <c>src + j·srcStride</c>) into panel j/16, lane j%16;
    /// <paramref name="init"/> (⌈n/16⌉·16 ints) gets each row's start value for <paramref name="kernel"/>: 0 for
    /// signed-activation tiles, −128·Σ_k row[k] (wrapping) for the u8 = x + 128 ones; 0 for the padding rows.
    /// </summary>
    public static void Pack(sbyte* src, nint srcStride, int n, int k, GemmKernel kernel, byte* dst, int* init)
    {
        int groups = Groups(k), panels = Panels(n);
        new Span<byte>(dst, checked((int)Bytes(n, k))).Clear();
        for (int j = 0; j < panels * 16; j++)
        {
            if (j >= n)
            {
                init[j] = 0;
                continue;
            }
            sbyte* row = src + j * srcStride;
            byte* panel = dst + (long)(j / 16) * groups * 64 + (j % 16) * 4;
            int sum = 0;
            for (int t = 0; t < k; t++)
            {
                panel[(t >> 2) * 64 + (t & 3)] = (byte)row[t];
                sum += row[t];
            }
            init[j] = kernel.UnsignedActivations ? unchecked(-128 * sum) : 0;
        }
    }
}
