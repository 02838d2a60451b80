using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using EdgeNorm.Runtime.Platform;

namespace EdgeNorm.Bench;

/// <summary>
/// The measured int8 MAC ceiling of a kernel path on this CPU: its multiply-accumulate instruction with its
/// accumulating add, eight independent accumulators, operands in registers (runtime-perf.md §7 measured the same way) — what the
/// GEMM's inner loop could reach at best here. It folds in the real clock and how the core issues the pair (e.g. Zen 1
/// runs vpmaddwd on one 128-bit pipe: ymm is two µops), which a nominal f × MAC/cycle cannot.
/// </summary>
internal static class Ceiling
{
    /// <summary>GMAC/s of the path's instruction, best of three 0.3 s runs; null for paths without a probe here.</summary>
    public static double? Measure(KernelPath path)
    {
        Func<long, long>? probe = path switch
        {
            KernelPath.Avx2 or KernelPath.Avx512BW when Avx2.IsSupported => n => Vpmaddwd256(n, Vector256.Create((short)1), Vector256.Create((short)2),
                Vector256.Create((short)3), Vector256.Create((short)4), Vector256.Create((short)5), Vector256.Create((short)6)) * 16 * 8,
            KernelPath.Vector128 when Sse2.IsSupported => n => Pmaddwd128(n, Vector128.Create((short)1), Vector128.Create((short)2),
                Vector128.Create((short)3), Vector128.Create((short)4), Vector128.Create((short)5), Vector128.Create((short)6)) * 8 * 8,
            KernelPath.AvxVnni when AvxVnni.IsSupported => n => Vpdpbusd256(n, Vector256.Create((byte)3), Vector256.Create((sbyte)5), Vector256.Create((sbyte)7)) * 32 * 8,
            _ => null,
        };
        if (probe is null) return null;
        probe(1000); // JIT
        double best = 0;
        for (int rep = 0; rep < 3; rep++)
        {
            long n = 1 << 20, t0 = Stopwatch.GetTimestamp(), macs = 0;
            while (Stopwatch.GetElapsedTime(t0).TotalSeconds < 0.3) macs += probe(n);
            best = Math.Max(best, macs / Stopwatch.GetElapsedTime(t0).TotalSeconds / 1e9);
        }
        return best;
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static long Vpmaddwd256(long n, Vector256<short> a0, Vector256<short> a1, Vector256<short> a2, Vector256<short> a3,
        Vector256<short> b0, Vector256<short> b1)
    {
        Vector256<int> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
        for (long i = 0; i < n; i++)
        {
            c0 = Avx2.Add(c0, Avx2.MultiplyAddAdjacent(a0, b0)); c1 = Avx2.Add(c1, Avx2.MultiplyAddAdjacent(a1, b0));
            c2 = Avx2.Add(c2, Avx2.MultiplyAddAdjacent(a2, b0)); c3 = Avx2.Add(c3, Avx2.MultiplyAddAdjacent(a3, b0));
            c4 = Avx2.Add(c4, Avx2.MultiplyAddAdjacent(a0, b1)); c5 = Avx2.Add(c5, Avx2.MultiplyAddAdjacent(a1, b1));
            c6 = Avx2.Add(c6, Avx2.MultiplyAddAdjacent(a2, b1)); c7 = Avx2.Add(c7, Avx2.MultiplyAddAdjacent(a3, b1));
        }
        return Keep((c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7).ToScalar(), n);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static long Pmaddwd128(long n, Vector128<short> a0, Vector128<short> a1, Vector128<short> a2, Vector128<short> a3,
        Vector128<short> b0, Vector128<short> b1)
    {
        Vector128<int> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
        for (long i = 0; i < n; i++)
        {
            c0 = Sse2.Add(c0, Sse2.MultiplyAddAdjacent(a0, b0)); c1 = Sse2.Add(c1, Sse2.MultiplyAddAdjacent(a1, b0));
            c2 = Sse2.Add(c2, Sse2.MultiplyAddAdjacent(a2, b0)); c3 = Sse2.Add(c3, Sse2.MultiplyAddAdjacent(a3, b0));
            c4 = Sse2.Add(c4, Sse2.MultiplyAddAdjacent(a0, b1)); c5 = Sse2.Add(c5, Sse2.MultiplyAddAdjacent(a1, b1));
            c6 = Sse2.Add(c6, Sse2.MultiplyAddAdjacent(a2, b1)); c7 = Sse2.Add(c7, Sse2.MultiplyAddAdjacent(a3, b1));
        }
        return Keep((c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7).ToScalar(), n);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static long Vpdpbusd256(long n, Vector256<byte> a, Vector256<sbyte> b, Vector256<sbyte> b1)
    {
        Vector256<int> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default;
        for (long i = 0; i < n; i++)
        {
            c0 = AvxVnni.MultiplyWideningAndAdd(c0, a, b); c1 = AvxVnni.MultiplyWideningAndAdd(c1, a, b);
            c2 = AvxVnni.MultiplyWideningAndAdd(c2, a, b); c3 = AvxVnni.MultiplyWideningAndAdd(c3, a, b);
            c4 = AvxVnni.MultiplyWideningAndAdd(c4, a, b1); c5 = AvxVnni.MultiplyWideningAndAdd(c5, a, b1);
            c6 = AvxVnni.MultiplyWideningAndAdd(c6, a, b1); c7 = AvxVnni.MultiplyWideningAndAdd(c7, a, b1);
        }
        return Keep((c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7).ToScalar(), n);
    }

    /// <summary>Uses the result so the loop is not removed; returns the iteration count.</summary>
    private static long Keep(int sum, long n) => sum == int.MinValue + 12345 ? n + 1 : n;
}
