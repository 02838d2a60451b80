using EdgeNorm.Runtime.Kernels;
using EdgeNorm.Runtime.Kernels.Gemm;
using EdgeNorm.Runtime.Platform;
using Xunit;

namespace EdgeNorm.Runtime.Tests.GemmPaths;

/// <summary>
/// The start-up self-test that gates the paths never run on hardware during development (AVX-VNNI, AVX-512BW): it
/// agrees with the scalar reference on every path usable here, and the default choice never takes a gated path that
/// has not passed it. (On a VNNI / AVX-512 machine the GEMM sweeps of <see cref="GemmKernelTests"/> cover those paths too.)
/// </summary>
public sealed class KernelSelfTestTests
{
    public static TheoryData<string> Paths() => GemmKernelTests.Paths();

    [Theory]
    [MemberData(nameof(Paths))]
    public void EveryUsablePath_AgreesWithTheReference_OnTheSelfTestCases(string path)
    {
        using var candidate = KernelSet.Create(KernelPaths.Parse(path), 2);
        using var reference = KernelSet.Create(KernelPath.Scalar, 1);
        Assert.Null(KernelSelfTest.FirstMismatch(candidate, reference));
        Assert.True(KernelSelfTest.Passes(KernelPaths.Parse(path)));
    }

    /// <summary>A path that is right except for one kind of output.</summary>
    private sealed class Faulty(KernelSet inner, string wrong) : IGemmPath
    {
        public void Gemm(GemmWeights weights, ReadOnlySpan<sbyte> a, int m, Span<sbyte> y, Span<byte> scratch)
        {
            inner.Gemm(weights, a, m, y, scratch);
            if (wrong == "int8" && m * weights.N > 5) y[5] ^= 1;
        }

        public void Gemm(GemmWeights weights, ReadOnlySpan<sbyte> a, int m, Span<short> y, Span<byte> scratch)
        {
            inner.Gemm(weights, a, m, y, scratch);
            // a saturating form: wrong only where a sum of −128·−128 products is involved
            if (wrong == "int16" && a.Length > 0 && a[0] == sbyte.MinValue) y[0] ^= 1;
        }

        public void Products(ReadOnlySpan<sbyte> a, int aStride, int m, ReadOnlySpan<sbyte> b, int bStride, int n, int k, Span<int> dst)
        {
            inner.Products(a, aStride, m, b, bStride, n, k, dst);
            if (wrong == "products") dst[^1]++;
        }
    }

    [Theory]
    [InlineData("int8", "GEMM M=2 N=15 K=3")]
    [InlineData("int16", "GEMM M=13 N=16 K=256")]
    [InlineData("products", "products M=1 N=1 K=1")]
    public void AWrongOutput_IsCaught_NamingTheCase(string wrong, string expected)
    {
        using var good = KernelSet.Create(KernelPath.Scalar, 1);
        using var reference = KernelSet.Create(KernelPath.Scalar, 1);
        Assert.Equal(expected, KernelSelfTest.FirstMismatch(new Faulty(good, wrong), reference));
    }

    [Fact]
    public void TheDefaultChoice_TakesAGatedPathOnlyAfterItsSelfTestPassed()
    {
        var best = KernelPaths.Best;
        Assert.True(KernelPaths.IsUsable(best));
        if (KernelPaths.NeedsSelfTest(best)) Assert.True(KernelPaths.PassesSelfTest(best));
        // nothing faster is skipped unless it is gated and failed
        foreach (var p in Enum.GetValues<KernelPath>().Where(p => KernelPaths.NeedsSelfTest(p) && KernelPaths.IsUsable(p)))
            Assert.True(best == p || !KernelPaths.PassesSelfTest(p) || best == KernelPath.AvxVnni, $"{p} passed its self-test but {best} was chosen");
        Assert.False(KernelPaths.NeedsSelfTest(KernelPath.Avx2));
        Assert.True(KernelPaths.NeedsSelfTest(KernelPath.AvxVnni) && KernelPaths.NeedsSelfTest(KernelPath.Avx512BW));
    }
}
