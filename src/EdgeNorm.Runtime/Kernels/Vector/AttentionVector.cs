using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using EdgeNorm.Runtime.Kernels.Reference;
using EdgeNorm.Runtime.Numerics;

namespace EdgeNorm.Runtime.Kernels.Vector;

/// <summary>
/// The per-head operand preparation and the int32 row passes of the vector attention: V (and any int8 rows) widened to
/// int16 once per head for <see cref="WeightedValueRows"/>, the logit requant of the raw Q·Kᵀ products (which run on
/// the GEMM micro-kernel, <see cref="AttentionRows"/>), and the renormalisation of the × V sums
/// (<see cref="AttentionReference.Renormalize"/>). Same ints as the reference.
/// </summary>
public static class AttentionVector
{
    /// <summary>
    /// int8 rows → int16: <c>dst[r·cols + j] = src[r·stride + offset + j]</c> for <paramref name="rows"/> rows
    /// (a head's V).
    /// </summary>
    public static void Widen(ReadOnlySpan<sbyte> src, int stride, int offset, int rows, int cols, Span<short> dst)
    {
        for (int r = 0; r < rows; r++)
        {
            var s = src.Slice(r * stride + offset, cols);
            var d = dst.Slice(r * cols, cols);
            int j = 0;
            for (; j <= cols - Vector128<sbyte>.Count; j += Vector128<sbyte>.Count)
            {
                var v = Vector128.LoadUnsafe(ref MemoryMarshal.GetReference(s), (nuint)j);
                Vector128.WidenLower(v).StoreUnsafe(ref MemoryMarshal.GetReference(d), (nuint)j);
                Vector128.WidenUpper(v).StoreUnsafe(ref MemoryMarshal.GetReference(d), (nuint)(j + Vector128<short>.Count));
            }
            for (; j < cols; j++) d[j] = s[j];
        }
    }

    /// <summary><c>x[i] = sat32(Scale(x[i]; m, k))</c> in place: the logit requant and the renormalisation.</summary>
    internal static void RequantizeInPlace(Span<int> x, int m, int k, VectorWidth width)
    {
        int done = width == VectorWidth.Lanes256 ? RequantizeRun<Lanes256, Vector256<int>>(x, m, k) : RequantizeRun<Lanes128, Vector128<int>>(x, m, k);
        for (int i = done; i < x.Length; i++) x[i] = Saturate.ToInt32(Requantizer.Scale(x[i], m, k));
    }

    private static int RequantizeRun<TL, TV>(Span<int> x, int m, int k) where TL : struct, ILanes<TV> where TV : struct
    {
        ref int p = ref MemoryMarshal.GetReference(x);
        TV mv = TL.Create(m), kv = TL.Create(k), zero = TL.Create(0);
        int i = 0;
        for (; i <= x.Length - TL.Count; i += TL.Count)
            TL.Store(TL.MultiplyShift(TL.Load(ref p, (nuint)i), mv, kv, zero, true, true, int.MinValue, int.MaxValue), ref p, (nuint)i);
        return i;
    }

    /// <summary>Same as <see cref="AttentionReference.Renormalize"/>: <c>acc[j] = Log2Codes.Renormalize(acc[j], G)</c>.</summary>
    public static void Renormalize(Span<int> acc, int dequantizedSum, VectorWidth width) =>
        RequantizeInPlace(acc, Log2Codes.RenormalizationFactor(dequantizedSum), 16, width);
}
