using System.Runtime.InteropServices;
using System.Text.Json;
using Xunit;

namespace EdgeNorm.Cli.Tests;

public class InfoTests
{
    [Fact]
    public void InfoJson_HasContractFields_AndFeaturesMatchTheKernelsView()
    {
        var r = CliRunner.Run("info", "--json");
        Assert.True(r.ExitCode == 0, r.ToString());
        using var doc = JsonDocument.Parse(r.Out);
        var root = doc.RootElement;
        string isa = root.GetProperty("isa").GetString()!;
        var features = root.GetProperty("features").EnumerateArray().Select(e => e.GetString()!).ToHashSet();
        var paths = root.GetProperty("binary_paths").EnumerateArray().Select(e => e.GetString()!).ToList();

        Assert.Contains("scalar", paths);
        // The path a session takes here: the best usable one (or EDGENORM_KERNELS when set).
        Assert.Equal(EdgeNorm.Runtime.Platform.KernelPaths.Name(EdgeNorm.Runtime.Platform.KernelPaths.Select()), isa);
        // The start-up self-test result of every gated path this CPU has (none on an AVX2-only or ARM machine).
        var gated = Enum.GetValues<EdgeNorm.Runtime.Platform.KernelPath>()
            .Where(p => EdgeNorm.Runtime.Platform.KernelPaths.NeedsSelfTest(p) && EdgeNorm.Runtime.Platform.KernelPaths.IsUsable(p))
            .Select(EdgeNorm.Runtime.Platform.KernelPaths.Name).ToList();
        Assert.Equal(gated, root.GetProperty("self_test").EnumerateObject().Select(p => p.Name).ToList());
        // The features must come from the hardware/kernel, not from the binary: cross-check with the
        // kernel's own flag list.
        var flags = File.ReadLines("/proc/cpuinfo").First(l => l.StartsWith("flags") || l.StartsWith("Features"))
            .Split(':')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
        if (RuntimeInformation.ProcessArchitecture == Architecture.X64)
        {
            foreach (var f in new[] { "avx2", "avx512bw", "avx_vnni", "fma" })
                Assert.True(flags.Contains(f) == features.Contains(f), $"feature {f}: kernel {flags.Contains(f)}, info {features.Contains(f)}");
        }
        else
        {
            Assert.Equal(flags.Contains("asimddp"), features.Contains("asimddp"));
        }
    }

    [Fact]
    public void InfoText_NamesTheChosenPath()
    {
        var r = CliRunner.Run("info");
        Assert.Equal(0, r.ExitCode);
        Assert.Matches(@"isa:\s+\S+", r.Out);
    }
}
