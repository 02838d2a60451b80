using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace EdgeNorm.Runtime.Platform;

/// <summary>
/// What the CPU has, read from the hardware (CPUID on x64) and the kernel (/proc/cpuinfo; on arm64 the
/// AT_HWCAP/AT_HWCAP2 words of /proc/self/auxv), not from the
/// intrinsics' <c>IsSupported</c>: NativeAOT fixes those at compile time, so they describe the binary,
/// not the board. <see cref="BinaryIsa"/> reports the other side.
/// </summary>
public sealed class CpuFeatures
{
    public string Architecture { get; }
    public string ModelName { get; }
    /// <summary>Feature names in the kernel's spelling (lower case), e.g. avx2, avx512bw, avx_vnni, asimd, asimddp.</summary>
    public IReadOnlySet<string> Features { get; }
    /// <summary>Where <see cref="Features"/> came from: "cpuid", "/proc/cpuinfo", "cpuid+/proc/cpuinfo" or (arm64) "auxv".</summary>
    public string Source { get; }

    private CpuFeatures(string arch, string model, HashSet<string> features, string source)
    {
        Architecture = arch;
        ModelName = model;
        Features = features;
        Source = source;
    }

    public bool Has(string feature) => Features.Contains(feature);

    private static readonly Lazy<CpuFeatures> LazyCurrent = new(Detect);
    public static CpuFeatures Current => LazyCurrent.Value;

    private static CpuFeatures Detect()
    {
        var arch = RuntimeInformation.ProcessArchitecture;
        var features = new HashSet<string>(StringComparer.Ordinal);
        var sources = new List<string>();

        if (X86Base.IsSupported)
        {
            ReadCpuid(features);
            sources.Add("cpuid");
        }
        var cpuinfo = ReadProcCpuinfo();
        byte[]? auxv = arch == System.Runtime.InteropServices.Architecture.Arm64 ? AuxiliaryVector.ReadCurrent() : null;
        return Combine(arch, features, sources, cpuinfo, auxv);
    }

    /// <summary>
    /// Merges what the hardware (CPUID, already in <paramref name="features"/>), the kernel's /proc/cpuinfo and, on
    /// arm64, the auxiliary vector say. Separate from <see cref="Detect"/> so tests can feed fixed images.
    /// </summary>
    internal static CpuFeatures Combine(Architecture arch, HashSet<string> features, List<string> sources,
        IEnumerable<string>? cpuinfo, byte[]? auxv)
    {
        bool arm64 = arch == System.Runtime.InteropServices.Architecture.Arm64;
        var (procModel, procFeatures) = ParseCpuinfo(cpuinfo ?? [], arm64);
        if (arm64 && auxv is not null && AuxiliaryVector.Find(auxv, AuxiliaryVector.AtHwcap) is { } hwcap)
        {
            // AT_HWCAP is what the kernel grants this process; /proc/cpuinfo "Features" says the same on a board,
            // but under qemu-user the file is the host's (x86 "flags"), so the auxv wins.
            Arm64Hwcaps.AddNames(hwcap, AuxiliaryVector.Find(auxv, AuxiliaryVector.AtHwcap2) ?? 0, features);
            sources.Add("auxv");
        }
        else if (procFeatures.Count > 0)
        {
            if (sources.Count > 0)
            {
                // The kernel's flags also reflect OS support (XSAVE state for AVX/AVX-512): a feature that
                // CPUID reports but the kernel hides cannot be used.
                features.RemoveWhere(f => KernelReportsX64(f) && !procFeatures.Contains(f));
            }
            else
            {
                features.UnionWith(procFeatures);
            }
            sources.Add("/proc/cpuinfo");
        }
        return new CpuFeatures(arch.ToString().ToLowerInvariant(), procModel, features, sources.Count == 0 ? "none" : string.Join("+", sources));
    }

    // Flags whose kernel spelling we use verbatim and that /proc/cpuinfo lists when present.
    private static bool KernelReportsX64(string f) => f is "sse4_1" or "sse4_2" or "ssse3" or "avx" or "avx2" or "fma"
        or "bmi1" or "bmi2" or "avx512f" or "avx512bw" or "avx512vl" or "avx512dq" or "avx512_vnni" or "avx512vbmi"
        or "avx_vnni" or "popcnt";

    private static void ReadCpuid(HashSet<string> f)
    {
        var (_, _, c1, d1) = X86Base.CpuId(1, 0);
        Bit(f, d1, 26, "sse2");
        Bit(f, c1, 9, "ssse3");
        Bit(f, c1, 12, "fma");
        Bit(f, c1, 19, "sse4_1");
        Bit(f, c1, 20, "sse4_2");
        Bit(f, c1, 23, "popcnt");
        Bit(f, c1, 28, "avx");
        var (maxLeaf, _, _, _) = X86Base.CpuId(0, 0);
        if (maxLeaf < 7) return;
        var (a7, b7, c7, d7) = X86Base.CpuId(7, 0);
        Bit(f, b7, 3, "bmi1");
        Bit(f, b7, 5, "avx2");
        Bit(f, b7, 8, "bmi2");
        Bit(f, b7, 16, "avx512f");
        Bit(f, b7, 17, "avx512dq");
        Bit(f, b7, 30, "avx512bw");
        Bit(f, b7, 31, "avx512vl");
        Bit(f, c7, 1, "avx512vbmi");
        Bit(f, c7, 11, "avx512_vnni");
        Bit(f, d7, 23, "avx512_fp16");
        if (a7 >= 1)
        {
            var (a71, _, _, d71) = X86Base.CpuId(7, 1);
            Bit(f, a71, 4, "avx_vnni");
            Bit(f, d71, 4, "avx_vnni_int8");
            Bit(f, d71, 19, "avx10");
        }
    }

    private static void Bit(HashSet<string> f, int reg, int bit, string name)
    {
        if ((reg & (1 << bit)) != 0) f.Add(name);
    }

    private static string[]? ReadProcCpuinfo()
    {
        try
        {
            return File.ReadAllLines("/proc/cpuinfo");
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    /// <summary>
    /// The model name and feature list of /proc/cpuinfo. On arm64 only the arm64 keys count ("Features", "Model",
    /// "CPU part"): qemu-user passes the x86 host's file through, whose "flags" and "model name" describe the host.
    /// </summary>
    internal static (string Model, HashSet<string> Features) ParseCpuinfo(IEnumerable<string> lines, bool arm64)
    {
        var features = new HashSet<string>(StringComparer.Ordinal);
        string model = "";
        foreach (var line in lines)
        {
            int colon = line.IndexOf(':');
            if (colon < 0) continue;
            var key = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            bool modelKey = arm64 ? key is "Model" or "CPU part" : key is "model name" or "Model" or "CPU part";
            if (model.Length == 0 && modelKey) model = value;
            if (arm64 ? key == "Features" : key is "flags" or "Features")
            {
                // every core lists the same flags: the first list is enough
                if (features.Count == 0)
                    foreach (var flag in value.Split(' ', StringSplitOptions.RemoveEmptyEntries)) features.Add(flag);
            }
        }
        return (model, features);
    }
}
