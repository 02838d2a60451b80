using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using EdgeNorm.Runtime.Kernels.Reference;
using EdgeNorm.Runtime.Numerics;

namespace EdgeNorm.Runtime.Kernels.Vector;

/// <summary>
/// Vector forms of <see cref="NormalizationReference.L1NormRow(ReadOnlySpan{short}, Span{int}, long)"/> and
/// <see cref="NormalizationReference.LayerNormRow(ReadOnlySpan{short}, Span{int}, int, long)"/> on int16 rows: the row
/// reductions (Σq, Σ|q − μ|, Σ(y &gt;&gt; sh)²) in int32 lanes flushed to 64-bit before they can wrap, the scalar
/// per-row rules of <see cref="IntMath"/> and <see cref="IntNorm"/> (mean, isqrt, one division), then
/// <c>ŷ = sat32((y·F) &gt;&gt; t)</c> per lane in 64-bit. The same ints as the reference.
/// </summary>
public static class NormVector
{
    // Elements per lane between flushes: Σq (|q| ≤ 2^15) and Σ|q − μ| (≤ 2^16 − 1) stay inside int32, and the
    // 16-bit halves of the squares inside uint32, for up to 2^14 lanes' worth of elements per block.
    private const int Block = 1 << 14;

    /// <summary>L1Norm of an int16 row (see the reference for the rule); <paramref name="epsilon"/> is ε_D.</summary>
    public static void L1NormRow(ReadOnlySpan<short> row, Span<int> dst, long epsilon, VectorWidth width)
    {
        CheckRow(row.Length, dst.Length, epsilon);
        if (width == VectorWidth.Lanes256) L1Norm<Lanes256, Vector256<int>>(row, dst, epsilon);
        else L1Norm<Lanes128, Vector128<int>>(row, dst, epsilon);
    }

    /// <summary>LayerNorm of an int16 row (see the reference for the rule); <paramref name="epsilon"/> is ε_V.</summary>
    public static void LayerNormRow(ReadOnlySpan<short> row, Span<int> dst, int overflowShift, long epsilon, VectorWidth width)
    {
        if (overflowShift < 0 || overflowShift > 31)
            throw new ArgumentOutOfRangeException(nameof(overflowShift), overflowShift, "the overflow shift must be in [0, 31]");
        CheckRow(row.Length, dst.Length, epsilon);
        if (width == VectorWidth.Lanes256) LayerNorm<Lanes256, Vector256<int>>(row, dst, overflowShift, epsilon);
        else LayerNorm<Lanes128, Vector128<int>>(row, dst, overflowShift, epsilon);
    }

    private static void L1Norm<TL, TV>(ReadOnlySpan<short> row, Span<int> dst, long epsilon) where TL : struct, ILanes<TV> where TV : struct
    {
        int mean = Mean<TL, TV>(row);
        ref short p = ref MemoryMarshal.GetReference(row);
        var mu = TL.Create(mean);
        long d = epsilon;
        int i = 0;
        while (i <= row.Length - TL.Count)
        {
            var acc = TL.Create(0);
            int end = Math.Min(row.Length - TL.Count, i + Block);
            for (; i <= end; i += TL.Count) acc = TL.Add(acc, TL.Abs(TL.Subtract(TL.LoadInt16(ref p, (nuint)i), mu)));
            d += TL.Sum(acc);
        }
        for (; i < row.Length; i++) d += Math.Abs(row[i] - mean);
        int factor = IntNorm.ReciprocalFactor(d, out int shift);
        Normalize<TL, TV>(row, dst, mean, factor, shift);
    }

    private static void LayerNorm<TL, TV>(ReadOnlySpan<short> row, Span<int> dst, int overflowShift, long epsilon)
        where TL : struct, ILanes<TV> where TV : struct
    {
        int mean = Mean<TL, TV>(row);
        ref short p = ref MemoryMarshal.GetReference(row);
        var mu = TL.Create(mean);
        var lowMask = TL.Create(0xFFFF);
        ulong v = (ulong)epsilon;
        int i = 0;
        while (i <= row.Length - TL.Count)
        {
            // (q − μ) >> sh has |·| < 2^16, so its square fits uint32; its 16-bit halves are summed apart.
            TV high = TL.Create(0), low = TL.Create(0);
            int end = Math.Min(row.Length - TL.Count, i + Block);
            for (; i <= end; i += TL.Count)
            {
                var y = TL.ShiftRightArithmetic(TL.Subtract(TL.LoadInt16(ref p, (nuint)i), mu), overflowShift);
                var square = TL.Multiply(y, y);
                high = TL.Add(high, TL.ShiftRightLogical(square, 16));
                low = TL.Add(low, TL.And(square, lowMask));
            }
            v += (TL.SumUnsigned(high) << 16) + TL.SumUnsigned(low);
        }
        for (; i < row.Length; i++)
        {
            long y = (row[i] - (long)mean) >> overflowShift;
            v += (ulong)(y * y);
        }
        long sigma = (long)IntMath.Isqrt(v) << overflowShift;
        int factor = IntNorm.ReciprocalFactor(sigma, out int shift);
        Normalize<TL, TV>(row, dst, mean, factor, shift);
    }

    private static int Mean<TL, TV>(ReadOnlySpan<short> row) where TL : struct, ILanes<TV> where TV : struct
    {
        ref short p = ref MemoryMarshal.GetReference(row);
        long sum = 0;
        int i = 0;
        while (i <= row.Length - TL.Count)
        {
            var acc = TL.Create(0);
            int end = Math.Min(row.Length - TL.Count, i + Block);
            for (; i <= end; i += TL.Count) acc = TL.Add(acc, TL.LoadInt16(ref p, (nuint)i));
            sum += TL.Sum(acc);
        }
        for (; i < row.Length; i++) sum += row[i];
        return IntMath.RoundedMean(sum, row.Length);
    }

    /// <summary><c>dst[i] = IntNorm.Normalized(q − μ, F, t)</c>: q − μ fits int32 for int16 rows, the product is 64-bit.</summary>
    private static void Normalize<TL, TV>(ReadOnlySpan<short> row, Span<int> dst, int mean, int factor, int shift)
        where TL : struct, ILanes<TV> where TV : struct
    {
        ref short p = ref MemoryMarshal.GetReference(row);
        ref int d = ref MemoryMarshal.GetReference(dst);
        TV mu = TL.Create(mean), f = TL.Create(factor), k = TL.Create(shift), zero = TL.Create(0);
        int i = 0;
        for (; i <= row.Length - TL.Count; i += TL.Count)
        {
            var y = TL.Subtract(TL.LoadInt16(ref p, (nuint)i), mu);
            TL.Store(TL.MultiplyShift(y, f, k, zero, false, true, int.MinValue, int.MaxValue), ref d, (nuint)i);
        }
        for (; i < row.Length; i++) dst[i] = IntNorm.Normalized(row[i] - (long)mean, factor, shift);
    }

    private static void CheckRow(int row, int dst, long epsilon)
    {
        RequantizeReference.CheckLengths(row, dst);
        if (row == 0) throw new ArgumentException("a normalised row needs at least one channel");
        if (epsilon < 0 || epsilon > IntNorm.MaxEpsilon)
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "ε in spread units must be in [0, 2^40]");
    }
}
