using System.Runtime.Intrinsics;

namespace EdgeNorm.Runtime.Kernels.Gemm;

/// <summary>The activation-row conversions the micro-kernels share (run once per GEMM call, O(M·K)).</summary>
internal static unsafe class ActivationRows
{
    /// <summary>int8 → int8 copy, zero padded (SDOT and smull read x as is).</summary>
    public static void Copy(sbyte* x, int k, byte* dst, int groups)
    {
        new ReadOnlySpan<byte>(x, k).CopyTo(new Span<byte>(dst, k));
        new Span<byte>(dst + k, groups * 4 - k).Clear();
    }

    /// <summary>int8 x → u8 x + 128 (flip the sign bit), padded with 128 (x = 0): the vpdpbusd operand.</summary>
    public static void Biased(sbyte* x, int k, byte* dst, int groups)
    {
        var flip = Vector128.Create((byte)0x80);
        int i = 0;
        for (; i + 16 <= k; i += 16) (Vector128.Load((byte*)x + i) ^ flip).Store(dst + i);
        for (; i < k; i++) dst[i] = (byte)(x[i] ^ 0x80);
        for (; i < groups * 4; i++) dst[i] = 0x80;
    }

    /// <summary>
    /// int8 → int16 in the order (x0, x2, x1, x3) per group of 4, zero padded: the two 32-bit broadcasts of a group
    /// pair with the even and the odd bytes of the weights in vpmaddwd (see <see cref="Avx2Gemm4x16"/>).
    /// </summary>
    public static void EvenOddPairs(sbyte* x, int k, byte* dst, int groups)
    {
        short* d = (short*)dst;
        var order = Vector128.Create((byte)0, 2, 1, 3, 4, 6, 5, 7, 8, 10, 9, 11, 12, 14, 13, 15);
        int i = 0;
        for (; i + 16 <= k; i += 16)
        {
            var v = Vector128.Shuffle(Vector128.Load(x + i).AsByte(), order).AsSByte();
            var (lo, hi) = Vector128.Widen(v);
            lo.Store(d + i);
            hi.Store(d + i + 8);
        }
        for (; i < groups * 4; i += 4)
            for (int t = 0; t < 4; t++)
            {
                int src = i + (t == 1 ? 2 : t == 2 ? 1 : t);
                d[i + t] = src < k ? x[src] : (short)0;
            }
    }
}
