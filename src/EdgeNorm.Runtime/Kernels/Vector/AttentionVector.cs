using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using EdgeNorm.Runtime.Kernels.Reference;
using EdgeNorm.Runtime.Numerics;

namespace EdgeNorm.Runtime.Kernels.Vector;

/// <summary>
/// Vector forms of the attention products: the Q·Kᵀ scores with their logit requant, and attention × V by the
/// log2-family codes (<see cref="AttentionReference"/>). Both run on int16 copies made once per head, so one
/// vpmaddwd (NEON: smull + addp) does two exact int8 products per lane:
/// <list type="bullet">
/// <item>scores: K rows widened to int16 (<see cref="Widen"/>); four keys at a time, reduced by a horizontal-add tree;</item>
/// <item>× V: V as int16 pairs of consecutive keys per column (<see cref="PackValuePairs"/>), multiplied by the pair of
/// code weights 2^(15 − c) (a multiply by a power of two is the reference's shift, exactly). Weights are int16, so
/// code 0 (2^15) is added afterwards by a shift, and pairs whose two codes are both <see cref="Log2Codes.Zero"/> are
/// skipped.</item>
/// </list>
/// Products are at most 128·2^14, pair sums 2^22; the int32 sums wrap exactly like the reference's.
/// </summary>
public static class AttentionVector
{
    /// <summary>
    /// int8 rows → int16: <c>dst[r·cols + j] = src[r·stride + offset + j]</c> for <paramref name="rows"/> rows
    /// (a head's K, or a query row).
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

    /// <summary>
    /// A head's V (<paramref name="rows"/> keys × <paramref name="cols"/>, int8 at <c>src[i·stride + offset + j]</c>) as int16
    /// pairs: <c>dst[p·cols + j]</c> holds V[2p, j] in its low half and V[2p+1, j] (0 past the last key) in its high half.
    /// <paramref name="dst"/> has ⌈rows/2⌉·cols entries.
    /// </summary>
    public static void PackValuePairs(ReadOnlySpan<sbyte> src, int stride, int offset, int rows, int cols, Span<int> dst)
    {
        int pairs = (rows + 1) / 2;
        if (dst.Length < pairs * cols) throw new ArgumentException($"the packed V needs {pairs * cols} entries", nameof(dst));
        for (int p = 0; p < pairs; p++)
        {
            var a = src.Slice(2 * p * stride + offset, cols);
            var b = 2 * p + 1 < rows ? src.Slice((2 * p + 1) * stride + offset, cols) : default;
            var d = dst.Slice(p * cols, cols);
            int j = 0;
            if (!b.IsEmpty)
                for (; j <= cols - Vector128<int>.Count; j += Vector128<int>.Count)
                {
                    var lo = Lanes128.LoadSByte(ref MemoryMarshal.GetReference(a), (nuint)j) & Vector128.Create(0xFFFF);
                    var hi = Lanes128.LoadSByte(ref MemoryMarshal.GetReference(b), (nuint)j) << 16;
                    (lo | hi).StoreUnsafe(ref MemoryMarshal.GetReference(d), (nuint)j);
                }
            for (; j < cols; j++) d[j] = (ushort)a[j] + ((b.IsEmpty ? 0 : b[j]) << 16);
        }
    }

    /// <summary>
    /// <c>logits[j] = sat32(Scale(Σ_d q[d]·keys[j, d]; m))</c> for the int16 copies of a query row and a head's keys
    /// (<paramref name="keys"/> is [N, dh] with dh = q.Length, N = logits.Length) — the op's reference loop.
    /// </summary>
    public static void Scores(ReadOnlySpan<short> q, ReadOnlySpan<short> keys, DyadicMultiplier m, Span<int> logits, VectorWidth width)
    {
        int dh = q.Length, n = logits.Length;
        if ((long)dh * n != keys.Length) throw new ArgumentException($"keys have {keys.Length} entries, expected {n}·{dh}");
        if (width == VectorWidth.Lanes256 && dh % 16 == 0) Dots<Lanes256, Vector256<int>>(q, keys, logits);
        else if (dh % 8 == 0) Dots<Lanes128, Vector128<int>>(q, keys, logits);
        else
            for (int j = 0; j < n; j++)
            {
                int dot = 0;
                for (int d = 0; d < dh; d++) dot += q[d] * keys[j * dh + d];
                logits[j] = dot;
            }
        RequantizeInPlace(logits, m.Multiplier, m.Shift, width);
    }

    private static void Dots<TL, TV>(ReadOnlySpan<short> q, ReadOnlySpan<short> keys, Span<int> dots) where TL : struct, ILanes<TV> where TV : struct
    {
        int dh = q.Length, n = dots.Length, step = TL.Count; // ints (= 2·Count int16) per load
        int words = dh / 2;
        ref int pq = ref Unsafe.As<short, int>(ref MemoryMarshal.GetReference(q));
        ref int pk = ref Unsafe.As<short, int>(ref MemoryMarshal.GetReference(keys));
        int j = 0;
        for (; j <= n - 4; j += 4)
        {
            TV a0 = TL.Create(0), a1 = a0, a2 = a0, a3 = a0;
            nuint k0 = (nuint)(j * words);
            for (int d = 0; d < words; d += step)
            {
                var qv = TL.Load(ref pq, (nuint)d);
                a0 = TL.Add(a0, TL.MultiplyAddPairs(TL.Load(ref pk, k0 + (nuint)d), qv));
                a1 = TL.Add(a1, TL.MultiplyAddPairs(TL.Load(ref pk, k0 + (nuint)(words + d)), qv));
                a2 = TL.Add(a2, TL.MultiplyAddPairs(TL.Load(ref pk, k0 + (nuint)(2 * words + d)), qv));
                a3 = TL.Add(a3, TL.MultiplyAddPairs(TL.Load(ref pk, k0 + (nuint)(3 * words + d)), qv));
            }
            TL.Reduce4(a0, a1, a2, a3).StoreUnsafe(ref MemoryMarshal.GetReference(dots), (nuint)j);
        }
        for (; j < n; j++)
        {
            TV a = TL.Create(0);
            for (int d = 0; d < words; d += step)
                a = TL.Add(a, TL.MultiplyAddPairs(TL.Load(ref pk, (nuint)(j * words + d)), TL.Load(ref pq, (nuint)d)));
            dots[j] = TL.Sum(a);
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

    /// <summary>Same as <see cref="AttentionReference.LisWeightedSum"/> on V packed by <see cref="PackValuePairs"/>.</summary>
    public static void LisWeightedSum(ReadOnlySpan<byte> codes, ReadOnlySpan<int> packedV, Span<int> acc, VectorWidth width)
    {
        int d = CheckShapes(codes.Length, packedV.Length, acc.Length);
        if (width == VectorWidth.Lanes256 && d % 8 == 0) Weighted<Lanes256, Vector256<int>>(codes, packedV, acc, LisWeights);
        else if (d % 4 == 0) Weighted<Lanes128, Vector128<int>>(codes, packedV, acc, LisWeights);
        else WeightedScalar(codes, packedV, acc, LisWeights);
        AddCodeZero(codes, packedV, acc);
    }

    /// <summary>Same as <see cref="AttentionReference.LogSqrt2WeightedSums"/> on V packed by <see cref="PackValuePairs"/>.</summary>
    public static void LogSqrt2WeightedSums(ReadOnlySpan<byte> codes, ReadOnlySpan<int> packedV, Span<int> even, Span<int> odd, VectorWidth width)
    {
        int d = CheckShapes(codes.Length, packedV.Length, even.Length);
        RequantizeReference.CheckLengths(even.Length, odd.Length);
        if (width == VectorWidth.Lanes256 && d % 8 == 0) Weighted<Lanes256, Vector256<int>>(codes, packedV, even, odd, EvenWeights, OddWeights);
        else if (d % 4 == 0) Weighted<Lanes128, Vector128<int>>(codes, packedV, even, odd, EvenWeights, OddWeights);
        else
        {
            WeightedScalar(codes, packedV, even, EvenWeights);
            WeightedScalar(codes, packedV, odd, OddWeights);
        }
        AddCodeZero(codes, packedV, even);
    }

    /// <summary>int16 weight 2^(15 − c) of a LIS code; 0 for code 0 (2^15, added by <see cref="AddCodeZero"/>) and Zero.</summary>
    private static ReadOnlySpan<short> LisWeights =>
        [0, 16384, 8192, 4096, 2048, 1024, 512, 256, 128, 64, 32, 16, 8, 4, 2, 1, 0];

    /// <summary>log√2 even codes: 2^(15 − c/2); code 0 added apart; odd codes 0.</summary>
    private static ReadOnlySpan<short> EvenWeights =>
        [0, 0, 16384, 0, 8192, 0, 4096, 0, 2048, 0, 1024, 0, 512, 0, 256, 0, 0];

    /// <summary>log√2 odd codes: 2^(15 − (c+1)/2); even codes 0.</summary>
    private static ReadOnlySpan<short> OddWeights =>
        [0, 16384, 0, 8192, 0, 4096, 0, 2048, 0, 1024, 0, 512, 0, 256, 0, 128, 0];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int PairWeight(ReadOnlySpan<byte> codes, ReadOnlySpan<short> weights, int p)
    {
        int c0 = Math.Min((int)codes[2 * p], Log2Codes.Zero);
        int c1 = 2 * p + 1 < codes.Length ? Math.Min((int)codes[2 * p + 1], Log2Codes.Zero) : Log2Codes.Zero;
        return (ushort)weights[c0] | (weights[c1] << 16);
    }

    /// <summary>Pairs per chunk of the active-pair list (stack space: three ints each).</summary>
    private const int Chunk = 256;

    /// <summary>
    /// The LIS form. Per chunk of key pairs, the pairs with a nonzero weight are listed first (a peaky softmax row has
    /// few), then every column block runs over that list with four accumulators in registers.
    /// </summary>
    private static void Weighted<TL, TV>(ReadOnlySpan<byte> codes, ReadOnlySpan<int> packed, Span<int> acc, ReadOnlySpan<short> weights)
        where TL : struct, ILanes<TV> where TV : struct
    {
        int d = acc.Length, pairs = (codes.Length + 1) / 2, n = TL.Count;
        ref int pv = ref MemoryMarshal.GetReference(packed);
        ref int pa = ref MemoryMarshal.GetReference(acc);
        Span<int> at = stackalloc int[Chunk];
        Span<int> wt = stackalloc int[Chunk];
        acc.Clear();
        for (int first = 0; first < pairs; first += Chunk)
        {
            int active = 0;
            for (int p = first; p < Math.Min(pairs, first + Chunk); p++)
            {
                int w = PairWeight(codes, weights, p);
                if (w == 0) continue;
                at[active] = p * d;
                wt[active++] = w;
            }
            if (active == 0) continue;
            int j = 0;
            for (; j <= d - 4 * n; j += 4 * n)
            {
                TV a0 = TL.Load(ref pa, (nuint)j), a1 = TL.Load(ref pa, (nuint)(j + n)), a2 = TL.Load(ref pa, (nuint)(j + 2 * n)), a3 = TL.Load(ref pa, (nuint)(j + 3 * n));
                for (int x = 0; x < active; x++)
                {
                    var wv = TL.Create(wt[x]);
                    nuint o = (nuint)(at[x] + j);
                    a0 = TL.Add(a0, TL.MultiplyAddPairs(TL.Load(ref pv, o), wv));
                    a1 = TL.Add(a1, TL.MultiplyAddPairs(TL.Load(ref pv, o + (nuint)n), wv));
                    a2 = TL.Add(a2, TL.MultiplyAddPairs(TL.Load(ref pv, o + (nuint)(2 * n)), wv));
                    a3 = TL.Add(a3, TL.MultiplyAddPairs(TL.Load(ref pv, o + (nuint)(3 * n)), wv));
                }
                TL.Store(a0, ref pa, (nuint)j);
                TL.Store(a1, ref pa, (nuint)(j + n));
                TL.Store(a2, ref pa, (nuint)(j + 2 * n));
                TL.Store(a3, ref pa, (nuint)(j + 3 * n));
            }
            for (; j < d; j += n)
            {
                TV a = TL.Load(ref pa, (nuint)j);
                for (int x = 0; x < active; x++) a = TL.Add(a, TL.MultiplyAddPairs(TL.Load(ref pv, (nuint)(at[x] + j)), TL.Create(wt[x])));
                TL.Store(a, ref pa, (nuint)j);
            }
        }
    }

    /// <summary>The log√2 form: even and odd sums in one pass over the active pairs (eight accumulators).</summary>
    private static void Weighted<TL, TV>(ReadOnlySpan<byte> codes, ReadOnlySpan<int> packed, Span<int> even, Span<int> odd,
        ReadOnlySpan<short> evenWeights, ReadOnlySpan<short> oddWeights) where TL : struct, ILanes<TV> where TV : struct
    {
        int d = even.Length, pairs = (codes.Length + 1) / 2, n = TL.Count;
        ref int pv = ref MemoryMarshal.GetReference(packed);
        ref int pe = ref MemoryMarshal.GetReference(even);
        ref int po = ref MemoryMarshal.GetReference(odd);
        Span<int> at = stackalloc int[Chunk];
        Span<int> we = stackalloc int[Chunk];
        Span<int> wo = stackalloc int[Chunk];
        even.Clear();
        odd.Clear();
        for (int first = 0; first < pairs; first += Chunk)
        {
            int active = 0;
            for (int p = first; p < Math.Min(pairs, first + Chunk); p++)
            {
                int e = PairWeight(codes, evenWeights, p), o = PairWeight(codes, oddWeights, p);
                if ((e | o) == 0) continue;
                at[active] = p * d;
                we[active] = e;
                wo[active++] = o;
            }
            if (active == 0) continue;
            int j = 0;
            for (; j <= d - 4 * n; j += 4 * n)
            {
                TV e0 = TL.Load(ref pe, (nuint)j), e1 = TL.Load(ref pe, (nuint)(j + n)), e2 = TL.Load(ref pe, (nuint)(j + 2 * n)), e3 = TL.Load(ref pe, (nuint)(j + 3 * n));
                TV o0 = TL.Load(ref po, (nuint)j), o1 = TL.Load(ref po, (nuint)(j + n)), o2 = TL.Load(ref po, (nuint)(j + 2 * n)), o3 = TL.Load(ref po, (nuint)(j + 3 * n));
                for (int x = 0; x < active; x++)
                {
                    TV ev = TL.Create(we[x]), ov = TL.Create(wo[x]);
                    nuint o = (nuint)(at[x] + j);
                    var v0 = TL.Load(ref pv, o);
                    var v1 = TL.Load(ref pv, o + (nuint)n);
                    var v2 = TL.Load(ref pv, o + (nuint)(2 * n));
                    var v3 = TL.Load(ref pv, o + (nuint)(3 * n));
                    e0 = TL.Add(e0, TL.MultiplyAddPairs(v0, ev));
                    e1 = TL.Add(e1, TL.MultiplyAddPairs(v1, ev));
                    e2 = TL.Add(e2, TL.MultiplyAddPairs(v2, ev));
                    e3 = TL.Add(e3, TL.MultiplyAddPairs(v3, ev));
                    o0 = TL.Add(o0, TL.MultiplyAddPairs(v0, ov));
                    o1 = TL.Add(o1, TL.MultiplyAddPairs(v1, ov));
                    o2 = TL.Add(o2, TL.MultiplyAddPairs(v2, ov));
                    o3 = TL.Add(o3, TL.MultiplyAddPairs(v3, ov));
                }
                TL.Store(e0, ref pe, (nuint)j);
                TL.Store(e1, ref pe, (nuint)(j + n));
                TL.Store(e2, ref pe, (nuint)(j + 2 * n));
                TL.Store(e3, ref pe, (nuint)(j + 3 * n));
                TL.Store(o0, ref po, (nuint)j);
                TL.Store(o1, ref po, (nuint)(j + n));
                TL.Store(o2, ref po, (nuint)(j + 2 * n));
                TL.Store(o3, ref po, (nuint)(j + 3 * n));
            }
            for (; j < d; j += n)
            {
                TV a = TL.Load(ref pe, (nuint)j), b = TL.Load(ref po, (nuint)j);
                for (int x = 0; x < active; x++)
                {
                    var v = TL.Load(ref pv, (nuint)(at[x] + j));
                    a = TL.Add(a, TL.MultiplyAddPairs(v, TL.Create(we[x])));
                    b = TL.Add(b, TL.MultiplyAddPairs(v, TL.Create(wo[x])));
                }
                TL.Store(a, ref pe, (nuint)j);
                TL.Store(b, ref po, (nuint)j);
            }
        }
    }

    private static void WeightedScalar(ReadOnlySpan<byte> codes, ReadOnlySpan<int> packed, Span<int> acc, ReadOnlySpan<short> weights)
    {
        int d = acc.Length;
        acc.Clear();
        for (int i = 0; i < codes.Length; i++)
        {
            int w = weights[Math.Min((int)codes[i], Log2Codes.Zero)];
            if (w == 0) continue;
            for (int j = 0; j < d; j++) acc[j] += Value(packed, d, i, j) * w;
        }
    }

    /// <summary>Code 0 weighs 2^15 in both forms (LIS; log√2 even): <c>acc += V[i, ·] &lt;&lt; 15</c> for each such key.</summary>
    private static void AddCodeZero(ReadOnlySpan<byte> codes, ReadOnlySpan<int> packed, Span<int> acc)
    {
        int i = codes.IndexOf((byte)0);
        if (i < 0) return;
        int d = acc.Length;
        for (; i < codes.Length; i++)
        {
            if (codes[i] != 0) continue;
            for (int j = 0; j < d; j++) acc[j] += Value(packed, d, i, j) << Log2Codes.SumFractionBits;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Value(ReadOnlySpan<int> packed, int d, int i, int j)
    {
        int word = packed[(i >> 1) * d + j];
        return (i & 1) == 0 ? (short)word : word >> 16;
    }

    private static int CheckShapes(int n, int packed, int d)
    {
        if (d <= 0 || (long)(n + 1) / 2 * d != packed)
            throw new ArgumentException($"packed V has {packed} entries, expected ⌈{n}/2⌉·{d}");
        return d;
    }
}
