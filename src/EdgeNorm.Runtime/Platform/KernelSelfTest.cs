using System.Collections.Concurrent;
using EdgeNorm.Model.Format;
using EdgeNorm.Runtime.Kernels;
using EdgeNorm.Runtime.Kernels.Gemm;
using EdgeNorm.Runtime.Numerics;

namespace EdgeNorm.Runtime.Platform;

/// <summary>
/// A start-up check for the kernel paths written but never run on hardware during development (AVX-VNNI, AVX-512BW:
/// the development machine is AVX2-only; docs/kernels.md). Before <see cref="KernelPaths.Best"/> picks such a path it
/// must give the scalar reference's bytes on GEMMs that cover the row, column and depth tails, extreme operands and
/// int16 outputs, and on attention's raw Q·Kᵀ products — the only code these paths do not share with AVX2. Once per
/// process and path (cached), well under a millisecond; a path that fails is not chosen by default, so a wrong
/// kernel costs speed, never a wrong answer. An explicit request (EDGENORM_KERNELS, tests) still gets the path.
/// </summary>
internal static class KernelSelfTest
{
    private static readonly ConcurrentDictionary<KernelPath, bool> Results = new();

    /// <summary>Whether <paramref name="path"/> (usable here) computes the reference's bytes on the self-test cases.</summary>
    public static bool Passes(KernelPath path) => Results.GetOrAdd(path, p =>
    {
        try
        {
            using var candidate = KernelSet.Create(p, 1);
            using var reference = KernelSet.Create(KernelPath.Scalar, 1);
            return FirstMismatch(candidate, reference) is null;
        }
        catch (Exception e) when (e is PlatformNotSupportedException or SessionConfigurationException)
        {
            return false;
        }
    });

    /// <summary>The first case on which the two paths differ (a description), or null when they agree on all.</summary>
    internal static string? FirstMismatch(IGemmPath candidate, IGemmPath reference)
    {
        // (M, N, K, operands): M and N around every tile height/width (≤ 8 rows, 16 columns), K around the 4-byte
        // groups, and the operands that break inexact forms (−128·−128 sums saturate vpmaddubsw; ±127 mixed signs).
        ReadOnlySpan<(int M, int N, int K, int Kind)> cases =
            [(1, 1, 1, 0), (2, 15, 3, 0), (7, 17, 5, 0), (9, 33, 67, 0), (13, 16, 256, 1), (6, 31, 33, 2), (8, 48, 192, 0)];
        int seed = 1;
        foreach (var (m, n, k, kind) in cases)
        {
            var r = new Random(seed++);
            sbyte Operand() => kind switch
            {
                1 => sbyte.MinValue,
                2 => r.Next(2) == 0 ? sbyte.MinValue : sbyte.MaxValue,
                _ => (sbyte)r.Next(-128, 128),
            };
            var a = new sbyte[m * k];
            var w = new sbyte[n * k];
            for (int i = 0; i < a.Length; i++) a[i] = Operand();
            for (int i = 0; i < w.Length; i++) w[i] = Operand();
            var bias = new int[n];
            var mult = new DyadicMultiplier[n];
            var offsets = new int[n];
            for (int c = 0; c < n; c++)
            {
                bias[c] = r.Next(-50_000, 50_000);
                mult[c] = new DyadicMultiplier(r.Next(DyadicMultiplier.MinMultiplier, int.MaxValue), r.Next(28, 48));
                offsets[c] = r.Next(-300, 300);
            }
            var weights = new GemmWeights(PackedWeights.Pack(w, n, k), n, k, bias, mult, offsets);
            var scratch = new byte[KernelSet.GemmScratchBytes(m, k)];
            var (y8, e8) = (new sbyte[m * n], new sbyte[m * n]);
            var (y16, e16) = (new short[m * n], new short[m * n]);
            candidate.Gemm(weights, a, m, y8, scratch);
            reference.Gemm(weights, a, m, e8, scratch);
            candidate.Gemm(weights, a, m, y16, scratch);
            reference.Gemm(weights, a, m, e16, scratch);
            if (!y8.AsSpan().SequenceEqual(e8) || !y16.AsSpan().SequenceEqual(e16))
                return $"GEMM M={m} N={n} K={k}";
            var (p, ep) = (new int[m * n], new int[m * n]);
            candidate.Products(a, k, m, w, k, n, k, p);
            reference.Products(a, k, m, w, k, n, k, ep);
            if (!p.AsSpan().SequenceEqual(ep)) return $"products M={m} N={n} K={k}";
        }
        return null;
    }
}

/// <summary>What <see cref="KernelSelfTest"/> compares: a path's GEMM (int8 and int16 outputs) and Q·Kᵀ products (<see cref="KernelSet"/>).</summary>
internal interface IGemmPath
{
    void Gemm(GemmWeights weights, ReadOnlySpan<sbyte> a, int m, Span<sbyte> y, Span<byte> scratch);
    void Gemm(GemmWeights weights, ReadOnlySpan<sbyte> a, int m, Span<short> y, Span<byte> scratch);
    void Products(ReadOnlySpan<sbyte> a, int aStride, int m, ReadOnlySpan<sbyte> b, int bStride, int n, int k, Span<int> dst);
}
