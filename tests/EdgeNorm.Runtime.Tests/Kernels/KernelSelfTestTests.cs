using EdgeNorm.Runtime.Kernels;
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
