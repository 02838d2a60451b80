using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using EdgeNorm.Runtime.Kernels.Reference;
using EdgeNorm.Runtime.Numerics;

namespace EdgeNorm.Runtime.Kernels.Vector;

/// <summary>
/// Vector forms of the log2-family softmax of <see cref="SoftmaxReference"/>: I-BERT's i-exp over int32 logits and the
/// 4-bit LIS / log√2 codes. Same ints and bytes as the reference.
/// <para>
/// i-exp: the octave <c>z = ⌊q/X0⌋ ∈ [0, 30]</c> comes from a five-step binary search (<c>r ≤ b·X0</c> for b = 16, 8, 4,
/// 2, 1) instead of a division, leaving r; the polynomial is exact in int32 (0 &lt; P ≤ Cq); the output is the rule
/// with the per-lane shift k + z.
/// </para>
/// <para>
/// Codes: for a row with Σ &gt; 0 and every e ≥ 0, both code rules are monotone in e, so the code is the number of row
/// thresholds T_1 ≥ … ≥ T_16 with e ≤ T_t (16 = <see cref="Log2Codes.Zero"/>). Derived from
/// <see cref="Log2Codes.Lis"/>: code ≥ 1 ⇔ 3e ≤ 2Σ, code ≥ 2 ⇔ 5e &lt; 2Σ, code ≥ t+1 (t ≥ 2) ⇔ 3e·2^t ≤ 2Σ + e, i.e.
/// <c>T = ⌊2Σ/3⌋, ⌊(2Σ − 1)/5⌋, ⌊2Σ/(3·2^t − 1)⌋</c>. From <see cref="Log2Codes.LogSqrt2"/>: code ≥ 2j+1 ⇔
/// <c>e·2^j·77936 ≤ Σ·2^16</c>, code ≥ 2j+2 ⇔ <c>e·2^j·110218 ≤ Σ·2^16</c> (the k-octave test is implied by these), i.e.
/// <c>T = ⌊Σ·2^16/(2^j·77936)⌋, ⌊Σ·2^16/(2^j·110218)⌋</c> (two divisions, then shifts). Sixteen (LIS) or two (log√2) divisions per row, then a four-step binary search per lane. Rows outside
/// these conditions (a negative e, Σ = 0, Σ ≥ 2^46) go to the reference.
/// </para>
/// </summary>
public static class SoftmaxVector
{
    private const int Thresholds = 16;

    /// <summary>Same as <see cref="SoftmaxReference.IBertExpRow"/>.</summary>
    public static void IBertExpRow(ReadOnlySpan<int> logits, ReadOnlySpan<byte> mask, in IBertExpParameters p, Span<int> e, VectorWidth width)
    {
        RequantizeReference.CheckLengths(logits.Length, e.Length);
        if (mask.Length != 0 && mask.Length != logits.Length)
            throw new ArgumentException($"mask has {mask.Length} entries for {logits.Length} logits");
        bool any = mask.IsEmpty ? logits.Length > 0 : mask.IndexOfAnyExcept((byte)0) >= 0;
        if (!any)
        {
            e.Clear();
            return;
        }
        int max = width == VectorWidth.Lanes256 ? MaskedMax<Lanes256, Vector256<int>>(logits, mask) : MaskedMax<Lanes128, Vector128<int>>(logits, mask);
        int done = width == VectorWidth.Lanes256 ? Exp<Lanes256, Vector256<int>>(logits, mask, max, p, e) : Exp<Lanes128, Vector128<int>>(logits, mask, max, p, e);
        for (int i = done; i < logits.Length; i++)
            e[i] = mask.IsEmpty || mask[i] != 0 ? IntExp.IBert((int)Math.Max((long)logits[i] - max, int.MinValue), p) : 0;
    }

    /// <summary>Same as <see cref="SoftmaxReference.LisCodes"/>.</summary>
    public static void LisCodes(ReadOnlySpan<int> e, Span<byte> codes, VectorWidth width) => Codes(e, codes, lis: true, width);

    /// <summary>Same as <see cref="SoftmaxReference.LogSqrt2Codes"/>.</summary>
    public static void LogSqrt2Codes(ReadOnlySpan<int> e, Span<byte> codes, VectorWidth width) => Codes(e, codes, lis: false, width);

    private static void Codes(ReadOnlySpan<int> e, Span<byte> codes, bool lis, VectorWidth width)
    {
        RequantizeReference.CheckLengths(e.Length, codes.Length);
        long sum = width == VectorWidth.Lanes256 ? SumAndSign<Lanes256, Vector256<int>>(e, out bool negative) : SumAndSign<Lanes128, Vector128<int>>(e, out negative);
        if (negative || sum <= 0 || sum >= 1L << 46)
        {
            if (lis) SoftmaxReference.LisCodes(e, codes);
            else SoftmaxReference.LogSqrt2Codes(e, codes);
            return;
        }
        Span<int> t = stackalloc int[Thresholds];
        if (lis) LisThresholds(sum, t);
        else LogSqrt2Thresholds(sum, t);
        int done = width == VectorWidth.Lanes256 ? Count<Lanes256, Vector256<int>>(e, t, codes) : Count<Lanes128, Vector128<int>>(e, t, codes);
        for (int i = done; i < e.Length; i++) codes[i] = lis ? Log2Codes.Lis(e[i], sum) : Log2Codes.LogSqrt2(e[i], sum);
    }

    /// <summary>
    /// Σe in 64-bit and whether some e is negative (the OR of all sign bits): the 16-bit halves of e summed apart in
    /// int32 lanes (no wrap for rows up to 2^15); with a negative e the sum is meaningless, but then the caller uses the
    /// reference anyway.
    /// </summary>
    private static long SumAndSign<TL, TV>(ReadOnlySpan<int> e, out bool negative) where TL : struct, ILanes<TV> where TV : unmanaged
    {
        ref int pe = ref MemoryMarshal.GetReference(e);
        TV low = TL.Create(0), high = low, signs = low, mask = TL.Create(0xFFFF);
        int i = 0;
        if (e.Length <= (1 << 15))
            for (; i <= e.Length - TL.Count; i += TL.Count)
            {
                var v = TL.Load(ref pe, (nuint)i);
                low = TL.Add(low, TL.And(v, mask));
                high = TL.Add(high, TL.ShiftRightLogical(v, 16));
                signs = TL.Or(signs, v);
            }
        long sum = ((long)TL.SumUnsigned(high) << 16) + (long)TL.SumUnsigned(low);
        negative = TL.MaxAcross(TL.ShiftRightLogical(signs, 31)) != 0;
        for (; i < e.Length; i++)
        {
            sum += e[i];
            negative |= e[i] < 0;
        }
        return sum;
    }

    private static void LisThresholds(long sum, Span<int> t)
    {
        long twoSum = 2 * sum;
        t[0] = Clamp(twoSum / 3);
        t[1] = Clamp((twoSum - 1) / 5);
        for (int c = 2; c < Thresholds; c++) t[c] = Clamp(twoSum / (3L * (1L << c) - 1));
    }

    /// <summary>
    /// ⌊Σ·2^16 / (B·2^j)⌋ = ⌊Σ·2^16 / B⌋ &gt;&gt; j for the two boundaries B (Σ &gt; 0; ⌊⌊x/a⌋/b⌋ = ⌊x/(ab)⌋ for positive
    /// integers): two 64-bit divisions per row instead of sixteen.
    /// </summary>
    private static void LogSqrt2Thresholds(long sum, Span<int> t)
    {
        long scaled = sum << 16;
        long quarter = scaled / Log2Codes.QuarterOctaveBoundary, threeQuarter = scaled / Log2Codes.ThreeQuarterOctaveBoundary;
        for (int j = 0; j < Thresholds / 2; j++)
        {
            t[2 * j] = Clamp(quarter >> j);
            t[2 * j + 1] = Clamp(threeQuarter >> j);
        }
    }

    private static int Clamp(long v) => (int)Math.Min(v, int.MaxValue);

    /// <summary>
    /// code = #{t : e ≤ T_t} by a four-step binary search over T_0..T_14 (thresholds picked per lane by selects), plus
    /// [e ≤ T_15] (which implies every other): about half the operations of sixteen compares.
    /// </summary>
    private static int Count<TL, TV>(ReadOnlySpan<int> e, ReadOnlySpan<int> thresholds, Span<byte> codes) where TL : struct, ILanes<TV> where TV : unmanaged
    {
        ref int pe = ref MemoryMarshal.GetReference(e);
        ref byte pc = ref MemoryMarshal.GetReference(codes);
        Span<TV> t = stackalloc TV[Thresholds];
        for (int j = 0; j < Thresholds; j++) t[j] = TL.Create(thresholds[j]);
        TV eight = TL.Create(8), four = TL.Create(4), two = TL.Create(2), one = TL.Create(1);
        int i = 0;
        for (; i <= e.Length - TL.Count; i += TL.Count)
        {
            var v = TL.Load(ref pe, (nuint)i);
            var m8 = TL.LessThanOrEqual(v, t[7]);
            var m4 = TL.LessThanOrEqual(v, TL.Select(m8, t[11], t[3]));
            var m2 = TL.LessThanOrEqual(v, TL.Select(m8, TL.Select(m4, t[13], t[9]), TL.Select(m4, t[5], t[1])));
            var at1 = TL.Select(m8,
                TL.Select(m4, TL.Select(m2, t[14], t[12]), TL.Select(m2, t[10], t[8])),
                TL.Select(m4, TL.Select(m2, t[6], t[4]), TL.Select(m2, t[2], t[0])));
            var m1 = TL.LessThanOrEqual(v, at1);
            var code = TL.Or(TL.Or(TL.And(m8, eight), TL.And(m4, four)), TL.Or(TL.And(m2, two), TL.And(m1, one)));
            code = TL.Subtract(code, TL.LessThanOrEqual(v, t[15]));
            TL.StoreByte(code, ref pc, (nuint)i);
        }
        return i;
    }

    private static int MaskedMax<TL, TV>(ReadOnlySpan<int> logits, ReadOnlySpan<byte> mask) where TL : struct, ILanes<TV> where TV : unmanaged
    {
        ref int pl = ref MemoryMarshal.GetReference(logits);
        ref sbyte pm = ref Unsafe.As<byte, sbyte>(ref MemoryMarshal.GetReference(mask));
        TV floor = TL.Create(int.MinValue), zero = TL.Create(0), acc = floor;
        int i = 0;
        for (; i <= logits.Length - TL.Count; i += TL.Count)
        {
            var v = TL.Load(ref pl, (nuint)i);
            if (!mask.IsEmpty) v = TL.Select(TL.Equals(TL.LoadSByte(ref pm, (nuint)i), zero), floor, v);
            acc = TL.Max(acc, v);
        }
        int max = TL.MaxAcross(acc);
        for (; i < logits.Length; i++)
            if ((mask.IsEmpty || mask[i] != 0) && logits[i] > max) max = logits[i];
        return max;
    }

    private static int Exp<TL, TV>(ReadOnlySpan<int> logits, ReadOnlySpan<byte> mask, int max, in IBertExpParameters p, Span<int> e)
        where TL : struct, ILanes<TV> where TV : unmanaged
    {
        ref int pl = ref MemoryMarshal.GetReference(logits);
        ref sbyte pm = ref Unsafe.As<byte, sbyte>(ref MemoryMarshal.GetReference(mask));
        ref int pe = ref MemoryMarshal.GetReference(e);
        int clip = IBertExpParameters.ClipOctaves * p.X0;
        TV maxV = TL.Create(max), clipV = TL.Create(clip), zero = TL.Create(0);
        TV bq = TL.Create(p.Bq), cq = TL.Create(p.Cq), m = TL.Create(p.Output.Multiplier), k = TL.Create(p.Output.Shift);
        // logits[i] − max wraps only when max ≥ 1 and logits[i] < max − 2^31; such a difference is past the clip.
        bool wraps = max >= 1;
        TV wrapBelow = TL.Create(wraps ? max + int.MinValue - 1 : int.MinValue);
        Span<TV> steps = stackalloc TV[5];
        Span<TV> bits = stackalloc TV[5];
        for (int s = 0; s < 5; s++)
        {
            steps[s] = TL.Create((16 >> s) * p.X0);
            bits[s] = TL.Create(16 >> s);
        }
        int i = 0;
        for (; i <= logits.Length - TL.Count; i += TL.Count)
        {
            var v = TL.Load(ref pl, (nuint)i);
            var q = TL.Max(TL.Subtract(v, maxV), clipV);
            if (wraps) q = TL.Select(TL.LessThanOrEqual(v, wrapBelow), clipV, q);
            TV r = q, z = zero;
            for (int s = 0; s < 5; s++)
            {
                var take = TL.LessThanOrEqual(r, steps[s]);
                r = TL.Subtract(r, TL.And(take, steps[s]));
                z = TL.Add(z, TL.And(take, bits[s]));
            }
            var poly = TL.Add(TL.Multiply(r, TL.Add(r, bq)), cq);
            var y = TL.MultiplyShift(poly, m, TL.Add(k, z), zero, true, false, 0, 0);
            if (!mask.IsEmpty) y = TL.Select(TL.Equals(TL.LoadSByte(ref pm, (nuint)i), zero), zero, y);
            TL.Store(y, ref pe, (nuint)i);
        }
        return i;
    }
}
