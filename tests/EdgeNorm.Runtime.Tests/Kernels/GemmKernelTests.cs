using EdgeNorm.Model.Format;
using EdgeNorm.Runtime.Kernels;
using EdgeNorm.Runtime.Kernels.Gemm;
using EdgeNorm.Runtime.Kernels.Reference;
using EdgeNorm.Runtime.Numerics;
using EdgeNorm.Runtime.Platform;
using Xunit;

namespace EdgeNorm.Runtime.Tests.GemmPaths;

/// <summary>
/// Every kernel path usable here computes the scalar reference's bytes (GemmReference.PackedRow, then
/// RequantizeReference.PerChannel) on every tail of M, N and K around each tile size, on extreme operands, and for
/// any thread count.
/// </summary>
public class GemmKernelTests
{
    public static TheoryData<string> Paths()
    {
        var d = new TheoryData<string>();
        foreach (var p in KernelPaths.Usable) d.Add(KernelPaths.Name(p));
        return d;
    }

    private sealed record Case(int M, int N, int K, sbyte[] A, sbyte[] W, int[] Bias, DyadicMultiplier[] Mult, int[] Offsets);

    private static Case Random(int seed, int m, int n, int k, Func<Random, sbyte>? a = null, Func<Random, sbyte>? w = null,
        Func<Random, int>? bias = null, Func<Random, DyadicMultiplier>? mult = null, Func<Random, int>? offset = null)
    {
        var r = new Random(seed);
        a ??= q => (sbyte)q.Next(-128, 128);
        w ??= q => (sbyte)q.Next(-128, 128);
        bias ??= q => q.Next(-50_000, 50_000);
        // Scales around 2^-(k−30): sums of K products land anywhere from 0 to far past int16.
        mult ??= q => new DyadicMultiplier(q.Next(DyadicMultiplier.MinMultiplier, int.MaxValue), q.Next(28, 48));
        offset ??= q => q.Next(4) == 0 ? q.Next(-300, 300) : 0;
        return new Case(m, n, k,
            Enumerable.Range(0, m * k).Select(_ => a(r)).ToArray(), Enumerable.Range(0, n * k).Select(_ => w(r)).ToArray(),
            Enumerable.Range(0, n).Select(_ => bias(r)).ToArray(), Enumerable.Range(0, n).Select(_ => mult(r)).ToArray(),
            Enumerable.Range(0, n).Select(_ => offset(r)).ToArray());
    }

    private static (sbyte[] Y8, short[] Y16) Reference(Case c, byte[] packed)
    {
        var y8 = new sbyte[c.M * c.N];
        var y16 = new short[c.M * c.N];
        var acc = new int[c.N];
        for (int r = 0; r < c.M; r++)
        {
            GemmReference.PackedRow(c.A.AsSpan(r * c.K, c.K), packed, c.Bias, acc);
            RequantizeReference.PerChannel(acc, y8.AsSpan(r * c.N, c.N), c.Mult, c.Offsets);
            RequantizeReference.PerChannel(acc, y16.AsSpan(r * c.N, c.N), c.Mult, c.Offsets);
        }
        return (y8, y16);
    }

    private static void Check(string path, Case c, int threads = 1)
    {
        var packed = PackedWeights.Pack(c.W, c.N, c.K);
        var (e8, e16) = Reference(c, packed);
        var weights = new GemmWeights(packed, c.N, c.K, c.Bias, c.Mult, c.Offsets);
        using var set = KernelSet.Create(KernelPaths.Parse(path), threads);
        var scratch = new byte[KernelSet.GemmScratchBytes(c.M, c.K)];
        var y8 = new sbyte[c.M * c.N];
        var y16 = new short[c.M * c.N];
        set.Gemm(weights, c.A, c.M, y8, scratch);
        set.Gemm(weights, c.A, c.M, y16, scratch);
        string what = $"{path} M={c.M} N={c.N} K={c.K} threads={threads}";
        SpanAssert.Equal(e8, y8, what + " int8");
        SpanAssert.Equal(e16, y16, what + " int16");
    }

    private static readonly int[] Sizes = [1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 17];
    private static readonly int[] Widths = [1, 2, 3, 15, 16, 17, 31, 33, 65, 80];
    private static readonly int[] Depths = [1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65];

    [Theory]
    [MemberData(nameof(Paths))]
    public void Gemm_EveryMAndNTail_EqualsReference(string path)
    {
        int seed = 1;
        foreach (int m in Sizes)
            foreach (int n in Widths)
                foreach (int k in (ReadOnlySpan<int>)[3, 17])
                    Check(path, Random(seed++, m, n, k));
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Gemm_EveryKTail_EqualsReference(string path)
    {
        int seed = 1000;
        foreach (int k in Depths)
            foreach (var (m, n) in (ReadOnlySpan<(int, int)>)[(1, 1), (7, 17), (13, 33)])
                Check(path, Random(seed++, m, n, k));
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Gemm_DeitShapeSlices_EqualReference(string path)
    {
        Check(path, Random(7, 197, 48, 192));
        Check(path, Random(8, 50, 40, 768));
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Gemm_ExtremeOperands_EqualReference(string path)
    {
        sbyte Min(Random _) => sbyte.MinValue;
        sbyte Max(Random _) => sbyte.MaxValue;
        sbyte Edge(Random q) => q.Next(2) == 0 ? sbyte.MinValue : sbyte.MaxValue;
        // −128 everywhere: the largest positive product sum, and x + 128 = 0 on the u8 paths.
        Check(path, Random(1, 7, 33, 1000, Min, Min));
        Check(path, Random(2, 7, 33, 1000, Max, Min));
        Check(path, Random(3, 7, 33, 1000, Max, Max));
        Check(path, Random(4, 9, 17, 257, Edge, Edge));
        // Sums that wrap int32 (16384·K > 2^31): every path wraps like the reference's int additions.
        Check(path, Random(5, 3, 17, 140_000, Min, Min, _ => int.MaxValue));
        // Accumulators over the whole int32 range (bias), requantised by scales from 2^-32 to 2^29.
        Check(path, Random(6, 9, 33, 5, bias: q => q.Next(int.MinValue, int.MaxValue) | (q.Next(2) << 31),
            mult: q => new DyadicMultiplier(q.Next(DyadicMultiplier.MinMultiplier, int.MaxValue), q.Next(1, 63))));
        // Saturating to int8 and int16 both ways: scale ≈ 1–4.
        Check(path, Random(7, 9, 33, 64, mult: q => new DyadicMultiplier(q.Next(DyadicMultiplier.MinMultiplier, int.MaxValue), q.Next(28, 31))));
        // Offsets far outside int16 (the vector epilogue hands such channels to the scalar rule).
        Check(path, Random(8, 9, 33, 64, offset: q => q.Next(int.MinValue, int.MaxValue)));
        Check(path, Random(9, 9, 33, 64, offset: q => q.Next(-70_000, 70_000)));
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Gemm_AnyThreadCount_SameBytes(string path)
    {
        foreach (int threads in (ReadOnlySpan<int>)[2, 3, 5])
        {
            Check(path, Random(threads, 37, 80, 40), threads);
            Check(path, Random(threads + 10, 1, 16, 8), threads);
        }
    }

    [Fact]
    public void KernelSet_RejectsBadThreadCounts()
    {
        Assert.Throws<SessionConfigurationException>(() => KernelSet.Create(KernelPath.Scalar, 0));
        Assert.Throws<SessionConfigurationException>(() => KernelSet.Create(KernelPath.Scalar, KernelSet.MaxThreads + 1));
    }

    [Fact]
    public void Gemm_ShortScratch_Throws()
    {
        var c = Random(1, 4, 16, 8);
        var weights = new GemmWeights(PackedWeights.Pack(c.W, c.N, c.K), c.N, c.K, c.Bias, c.Mult);
        using var set = KernelSet.Create(KernelPath.Scalar);
        Assert.Throws<ArgumentException>(() => set.Gemm(weights, c.A, c.M, new sbyte[c.M * c.N], new byte[16]));
    }
}
