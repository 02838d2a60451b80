using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using EdgeNorm.Runtime.Numerics;

namespace EdgeNorm.Runtime.Kernels.Vector;

/// <summary>
/// Q·Kᵀ scores on AVX-VNNI (the <see cref="Platform.KernelPath.AvxVnni"/> path): vpdpbusd multiplies unsigned by signed
/// bytes, so the query is fed as q + 128 and each key's <c>128·Σ_d k[j, d]</c> (computed once per head) is subtracted:
/// <c>Σ(q + 128)·k − 128·Σk = Σq·k</c>, exact in int32 (no saturation in the non-"S" form). 32 products per instruction
/// against 16 for the int16 vpmaddwd of <see cref="AttentionVector.Scores"/>; the same ints.
/// </summary>
public static class ScoresVnni
{
    /// <summary>Whether this CPU runs these kernels.</summary>
    public static bool IsSupported => AvxVnni.IsSupported;

    /// <summary>Head dimensions this kernel takes (whole 32-byte vectors).</summary>
    public static bool Fits(int headDim) => headDim > 0 && headDim % 32 == 0;

    /// <summary>
    /// A head's keys, <c>keys[j·cols + d] = src[j·stride + offset + d]</c>, and <c>corrections[j] = 128·Σ_d keys[j, d]</c>.
    /// </summary>
    public static void PrepareKeys(ReadOnlySpan<sbyte> src, int stride, int offset, int rows, int cols, Span<sbyte> keys, Span<int> corrections)
    {
        for (int j = 0; j < rows; j++)
        {
            var row = src.Slice(j * stride + offset, cols);
            row.CopyTo(keys.Slice(j * cols, cols));
            int sum = 0;
            foreach (sbyte k in row) sum += k;
            corrections[j] = sum << 7;
        }
    }

    /// <summary>The query as unsigned bytes q + 128 (a flip of the sign bit).</summary>
    public static void BiasQuery(ReadOnlySpan<sbyte> q, Span<byte> biased)
    {
        for (int d = 0; d < q.Length; d++) biased[d] = (byte)(q[d] ^ unchecked((sbyte)0x80));
    }

    /// <summary>
    /// <c>logits[j] = sat32(Scale(Σ_d q[d]·keys[j, d]; m))</c> from <see cref="BiasQuery"/>'s bytes and
    /// <see cref="PrepareKeys"/>'s keys and corrections; N = logits.Length, dh = q.Length (a multiple of 32).
    /// </summary>
    public static void Scores(ReadOnlySpan<byte> q, ReadOnlySpan<sbyte> keys, ReadOnlySpan<int> corrections, DyadicMultiplier m,
        Span<int> logits)
    {
        if (!IsSupported) throw new PlatformNotSupportedException("AVX-VNNI is not available on this CPU");
        int dh = q.Length, n = logits.Length;
        if (!Fits(dh)) throw new ArgumentException($"head dimension {dh} is not a multiple of 32", nameof(q));
        if ((long)dh * n != keys.Length || corrections.Length < n) throw new ArgumentException($"keys/corrections do not hold {n} keys of {dh}");
        ref byte pq = ref MemoryMarshal.GetReference(q);
        ref sbyte pk = ref MemoryMarshal.GetReference(keys);
        int j = 0;
        for (; j <= n - 4; j += 4)
        {
            Vector256<int> a0 = default, a1 = default, a2 = default, a3 = default;
            nuint k0 = (nuint)(j * dh);
            for (int d = 0; d < dh; d += 32)
            {
                var qv = Vector256.LoadUnsafe(ref pq, (nuint)d);
                a0 = AvxVnni.MultiplyWideningAndAdd(a0, qv, Vector256.LoadUnsafe(ref pk, k0 + (nuint)d));
                a1 = AvxVnni.MultiplyWideningAndAdd(a1, qv, Vector256.LoadUnsafe(ref pk, k0 + (nuint)(dh + d)));
                a2 = AvxVnni.MultiplyWideningAndAdd(a2, qv, Vector256.LoadUnsafe(ref pk, k0 + (nuint)(2 * dh + d)));
                a3 = AvxVnni.MultiplyWideningAndAdd(a3, qv, Vector256.LoadUnsafe(ref pk, k0 + (nuint)(3 * dh + d)));
            }
            var sums = Lanes256.Reduce4(a0, a1, a2, a3) - Vector128.LoadUnsafe(ref MemoryMarshal.GetReference(corrections), (nuint)j);
            sums.StoreUnsafe(ref MemoryMarshal.GetReference(logits), (nuint)j);
        }
        for (; j < n; j++)
        {
            Vector256<int> a = default;
            for (int d = 0; d < dh; d += 32)
                a = AvxVnni.MultiplyWideningAndAdd(a, Vector256.LoadUnsafe(ref pq, (nuint)d), Vector256.LoadUnsafe(ref pk, (nuint)(j * dh + d)));
            logits[j] = Vector256.Sum(a) - corrections[j];
        }
        AttentionVector.RequantizeInPlace(logits, m.Multiplier, m.Shift, VectorWidth.Lanes256);
    }
}
