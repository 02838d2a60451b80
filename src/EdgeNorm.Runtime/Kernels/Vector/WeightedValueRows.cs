using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using EdgeNorm.Runtime.Kernels.Reference;
using EdgeNorm.Runtime.Numerics;

namespace EdgeNorm.Runtime.Kernels.Vector;

/// <summary>
/// Attention × V by the log2-family codes (<see cref="AttentionReference"/>) on a head's V widened to int16 rows
/// (<see cref="AttentionVector.Widen"/>), pairing keys per row instead of per position: the keys whose code selects a
/// sum are listed with their int16 weights, consecutive list entries are interleaved into (V[a, j], V[b, j]) pairs and
/// one vpmaddwd (NEON: smull + addp) multiplies both by their weights. Compared with fixed pairs of consecutive keys
/// (the earlier form), no product is spent on a weight of 0: log√2 sends every key to exactly one of its two sums, so
/// this halves the multiplies there (measured: 0.61 → 0.21–0.28 ms per DeiT-Tiny layer, docs/performance.md).
/// <para>
/// Weights: LIS 2^(15 − c) for c = 1…15 (code 0, 2^15, is not an int16 and is added by a shift); log√2 odd codes
/// 2^(15 − (c+1)/2) ≤ 2^14; log√2 even codes the halved 2^(14 − c/2), the even sum doubled at the end — exact in
/// wrapping int32 arithmetic, like the order of the additions (products ≤ 2^21, pair sums ≤ 2^22).
/// </para>
/// </summary>
public static class WeightedValueRows
{
    /// <summary>Keys listed at a time (stack space: two ints each per list).</summary>
    private const int Chunk = 256;

    /// <summary>Same as <see cref="AttentionReference.LisWeightedSum"/>, V as int16 rows [N, d].</summary>
    [SkipLocalsInit] // the key lists are written before they are read
    public static void Lis(ReadOnlySpan<byte> codes, ReadOnlySpan<short> v, Span<int> acc, VectorWidth width)
    {
        int d = CheckShapes(codes.Length, v.Length, acc.Length);
        Span<int> keys = stackalloc int[Chunk];
        Span<int> weights = stackalloc int[Chunk];
        acc.Clear();
        for (int first = 0; first < codes.Length; first += Chunk)
        {
            int count = 0, end = Math.Min(codes.Length, first + Chunk);
            for (int i = first; i < end; i++)
            {
                int c = codes[i];
                if (c == 0 || c > Log2Codes.MaxCode) continue;
                keys[count] = i;
                weights[count++] = 1 << (Log2Codes.SumFractionBits - c);
            }
            Accumulate(keys[..count], weights[..count], v, acc, width);
        }
        for (int i = codes.IndexOf((byte)0); i >= 0 && i < codes.Length; i++)
        {
            if (codes[i] != 0) continue;
            var row = v.Slice(i * d, d);
            for (int j = 0; j < d; j++) acc[j] += row[j] << Log2Codes.SumFractionBits;
        }
    }

    /// <summary>Same as <see cref="AttentionReference.LogSqrt2WeightedSums"/>, V as int16 rows [N, d].</summary>
    [SkipLocalsInit]
    public static void LogSqrt2(ReadOnlySpan<byte> codes, ReadOnlySpan<short> v, Span<int> even, Span<int> odd, VectorWidth width)
    {
        CheckShapes(codes.Length, v.Length, even.Length);
        RequantizeReference.CheckLengths(even.Length, odd.Length);
        Span<int> evenKeys = stackalloc int[Chunk];
        Span<int> evenWeights = stackalloc int[Chunk];
        Span<int> oddKeys = stackalloc int[Chunk];
        Span<int> oddWeights = stackalloc int[Chunk];
        even.Clear();
        odd.Clear();
        for (int first = 0; first < codes.Length; first += Chunk)
        {
            int ne = 0, no = 0, end = Math.Min(codes.Length, first + Chunk);
            for (int i = first; i < end; i++)
            {
                int c = codes[i];
                if (c > Log2Codes.MaxCode) continue;
                if ((c & 1) == 0)
                {
                    evenKeys[ne] = i;
                    evenWeights[ne++] = 1 << (Log2Codes.SumFractionBits - 1 - (c >> 1));
                }
                else
                {
                    oddKeys[no] = i;
                    oddWeights[no++] = 1 << (Log2Codes.SumFractionBits - ((c + 1) >> 1));
                }
            }
            Accumulate(evenKeys[..ne], evenWeights[..ne], v, even, width);
            Accumulate(oddKeys[..no], oddWeights[..no], v, odd, width);
        }
        for (int j = 0; j < even.Length; j++) even[j] <<= 1; // the halved even weights
    }

    /// <summary><c>acc[j] += Σ_t weights[t]·V[keys[t], j]</c>.</summary>
    private static void Accumulate(ReadOnlySpan<int> keys, ReadOnlySpan<int> weights, ReadOnlySpan<short> v, Span<int> acc, VectorWidth width)
    {
        if (keys.IsEmpty) return;
        int d = acc.Length;
        if (width == VectorWidth.Lanes256 && d % 16 == 0) Accumulate<Lanes256, Vector256<int>>(keys, weights, v, acc);
        else if (d % 8 == 0) Accumulate<Lanes128, Vector128<int>>(keys, weights, v, acc);
        else
            for (int t = 0; t < keys.Length; t++)
            {
                var row = v.Slice(keys[t] * d, d);
                for (int j = 0; j < d; j++) acc[j] += row[j] * weights[t];
            }
    }

    /// <summary>
    /// Column blocks of 2·Count (one int16 load per key); four blocks at a time with eight accumulators in registers,
    /// then single blocks. d is a multiple of 2·Count.
    /// </summary>
    [SkipLocalsInit]
    private static void Accumulate<TL, TV>(ReadOnlySpan<int> keys, ReadOnlySpan<int> weights, ReadOnlySpan<short> v, Span<int> acc)
        where TL : struct, ILanes<TV> where TV : struct
    {
        int d = acc.Length, n = TL.Count, block = 2 * n, count = keys.Length, pairs = (count + 1) / 2;
        int words = d / 2; // ints per V row
        ref int pv = ref Unsafe.As<short, int>(ref MemoryMarshal.GetReference(v));
        Span<int> sums = stackalloc int[4 * 16]; // ≥ 4 blocks of the widest lanes
        int j = 0;
        for (; j + 4 * block <= d; j += 4 * block)
        {
            TV l0 = TL.Create(0), l1 = l0, l2 = l0, l3 = l0, h0 = l0, h1 = l0, h2 = l0, h3 = l0;
            for (int t = 0; t < pairs; t++)
            {
                var (ra, rb, wv) = Pair<TL, TV>(keys, weights, t, words, j / 2);
                var (lo, hi) = TL.InterleaveInt16(TL.Load(ref pv, ra), TL.Load(ref pv, rb));
                l0 = TL.Add(l0, TL.MultiplyAddPairs(lo, wv));
                h0 = TL.Add(h0, TL.MultiplyAddPairs(hi, wv));
                (lo, hi) = TL.InterleaveInt16(TL.Load(ref pv, ra + (nuint)n), TL.Load(ref pv, rb + (nuint)n));
                l1 = TL.Add(l1, TL.MultiplyAddPairs(lo, wv));
                h1 = TL.Add(h1, TL.MultiplyAddPairs(hi, wv));
                (lo, hi) = TL.InterleaveInt16(TL.Load(ref pv, ra + (nuint)(2 * n)), TL.Load(ref pv, rb + (nuint)(2 * n)));
                l2 = TL.Add(l2, TL.MultiplyAddPairs(lo, wv));
                h2 = TL.Add(h2, TL.MultiplyAddPairs(hi, wv));
                (lo, hi) = TL.InterleaveInt16(TL.Load(ref pv, ra + (nuint)(3 * n)), TL.Load(ref pv, rb + (nuint)(3 * n)));
                l3 = TL.Add(l3, TL.MultiplyAddPairs(lo, wv));
                h3 = TL.Add(h3, TL.MultiplyAddPairs(hi, wv));
            }
            ref int ps = ref MemoryMarshal.GetReference(sums);
            TL.StoreInterleaved(l0, h0, ref ps, 0);
            TL.StoreInterleaved(l1, h1, ref ps, (nuint)block);
            TL.StoreInterleaved(l2, h2, ref ps, (nuint)(2 * block));
            TL.StoreInterleaved(l3, h3, ref ps, (nuint)(3 * block));
            AddTo(acc.Slice(j, 4 * block), sums);
        }
        for (; j < d; j += block)
        {
            TV l = TL.Create(0), h = l;
            for (int t = 0; t < pairs; t++)
            {
                var (ra, rb, wv) = Pair<TL, TV>(keys, weights, t, words, j / 2);
                var (lo, hi) = TL.InterleaveInt16(TL.Load(ref pv, ra), TL.Load(ref pv, rb));
                l = TL.Add(l, TL.MultiplyAddPairs(lo, wv));
                h = TL.Add(h, TL.MultiplyAddPairs(hi, wv));
            }
            TL.StoreInterleaved(l, h, ref MemoryMarshal.GetReference(sums), 0);
            AddTo(acc.Slice(j, block), sums);
        }
    }

    /// <summary>List pair t: the two keys' row offsets (ints) at column word <paramref name="column"/> and their packed weights (an odd list's last key pairs with itself at weight 0).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (nuint A, nuint B, TV Weights) Pair<TL, TV>(ReadOnlySpan<int> keys, ReadOnlySpan<int> weights, int t, int words, int column)
        where TL : struct, ILanes<TV> where TV : struct
    {
        int a = keys[2 * t], wa = weights[2 * t];
        bool full = 2 * t + 1 < keys.Length;
        int b = full ? keys[2 * t + 1] : a, wb = full ? weights[2 * t + 1] : 0;
        return ((nuint)(a * words + column), (nuint)(b * words + column), TL.Create((ushort)wa | (wb << 16)));
    }

    private static void AddTo(Span<int> acc, ReadOnlySpan<int> sums)
    {
        for (int i = 0; i < acc.Length; i++) acc[i] += sums[i];
    }

    private static int CheckShapes(int n, int v, int d)
    {
        if (d <= 0 || (long)n * d != v) throw new ArgumentException($"V has {v} entries, expected {n}·{d}");
        return d;
    }
}
