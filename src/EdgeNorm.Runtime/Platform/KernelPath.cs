using System.Runtime.Intrinsics;
using ArmAdvSimd = System.Runtime.Intrinsics.Arm.AdvSimd;
using ArmDp = System.Runtime.Intrinsics.Arm.Dp;
using X86 = System.Runtime.Intrinsics.X86;

namespace EdgeNorm.Runtime.Platform;

/// <summary>
/// The kernel families a session can run. Every path computes the same bytes as <see cref="Scalar"/> (the reference
/// kernels); they differ only in speed. Chosen once per session (<see cref="KernelPaths.Select"/>), never per call.
/// </summary>
public enum KernelPath
{
    /// <summary>The scalar reference kernels (Kernels/Reference): the definition of every op.</summary>
    Scalar,
    /// <summary>Portable <see cref="Vector128{T}"/> code (SSE4 or NEON without dotprod via the JIT's mapping).</summary>
    Vector128,
    /// <summary>x64 AVX2 (vpmaddwd on widened int16: exact, no vpmaddubsw saturation).</summary>
    Avx2,
    /// <summary>x64 AVX-VNNI 256-bit vpdpbusd.</summary>
    AvxVnni,
    /// <summary>x64 AVX-512BW (for AVX-512 CPUs without VNNI).</summary>
    Avx512BW,
    /// <summary>ARM64 NEON baseline (widening multiply-accumulate).</summary>
    Neon,
    /// <summary>ARM64 NEON with the dot-product extension (SDOT).</summary>
    NeonDotProd,
}

/// <summary>Which <see cref="KernelPath"/>s this binary can execute here, and the choice for a session.</summary>
public static class KernelPaths
{
    /// <summary>Environment variable forcing a path (names as <see cref="Name"/>): for tests and benchmarks.</summary>
    public const string EnvironmentVariable = "EDGENORM_KERNELS";

    /// <summary>Whether this binary on this CPU can execute <paramref name="path"/>.</summary>
    public static bool IsUsable(KernelPath path) => path switch
    {
        KernelPath.Scalar => true,
        KernelPath.Vector128 => Vector128.IsHardwareAccelerated,
        KernelPath.Avx2 => X86.Avx2.IsSupported,
        KernelPath.AvxVnni => X86.AvxVnni.IsSupported,
        KernelPath.Avx512BW => X86.Avx512BW.IsSupported,
        KernelPath.Neon => ArmAdvSimd.Arm64.IsSupported,
        KernelPath.NeonDotProd => ArmDp.IsSupported && ArmAdvSimd.Arm64.IsSupported,
        _ => false,
    };

    /// <summary>Every usable path, slowest first.</summary>
    public static IEnumerable<KernelPath> Usable => Enum.GetValues<KernelPath>().Where(IsUsable);

    /// <summary>
    /// Paths written but never executed on hardware during development (the development machine is AVX2-only): chosen
    /// by default only after <see cref="KernelSelfTest"/> passes on this CPU (docs/kernels.md).
    /// </summary>
    public static bool NeedsSelfTest(KernelPath path) => path is KernelPath.AvxVnni or KernelPath.Avx512BW;

    /// <summary>Whether <paramref name="path"/> (usable here) passes <see cref="KernelSelfTest"/> on this CPU (cached per process).</summary>
    public static bool PassesSelfTest(KernelPath path) => IsUsable(path) && KernelSelfTest.Passes(path);

    /// <summary>The fastest usable path on this machine (the default choice).</summary>
    public static KernelPath Best
    {
        get
        {
            // Preference measured on Zen 5 (docs/performance.md): VNNI beats AVX-512BW maddubs there.
            foreach (var p in (ReadOnlySpan<KernelPath>)[KernelPath.AvxVnni, KernelPath.Avx512BW, KernelPath.Avx2,
                         KernelPath.NeonDotProd, KernelPath.Neon, KernelPath.Vector128])
                if (IsUsable(p) && (!NeedsSelfTest(p) || PassesSelfTest(p))) return p;
            return KernelPath.Scalar;
        }
    }

    /// <summary>Lower-case name used by the environment variable, `edgenorm info` and benchmarks.</summary>
    public static string Name(KernelPath path) => path switch
    {
        KernelPath.Scalar => "scalar",
        KernelPath.Vector128 => "vector128",
        KernelPath.Avx2 => "avx2",
        KernelPath.AvxVnni => "avx-vnni",
        KernelPath.Avx512BW => "avx512bw",
        KernelPath.Neon => "neon",
        KernelPath.NeonDotProd => "neon-dotprod",
        _ => path.ToString(),
    };

    /// <summary>Parses a path name; throws <see cref="SessionConfigurationException"/> naming the valid choices.</summary>
    public static KernelPath Parse(string name)
    {
        foreach (var p in Enum.GetValues<KernelPath>())
            if (string.Equals(Name(p), name.Trim(), StringComparison.OrdinalIgnoreCase)) return p;
        throw new SessionConfigurationException(
            $"unknown kernel path '{name}'; valid: {string.Join(", ", Enum.GetValues<KernelPath>().Select(Name))}");
    }

    /// <summary>
    /// The path for a new session: <paramref name="requested"/> if given, else <see cref="EnvironmentVariable"/> if
    /// set, else <see cref="Best"/>. A requested path this binary/CPU cannot execute is an error, not a silent fallback.
    /// </summary>
    public static KernelPath Select(KernelPath? requested = null)
    {
        KernelPath path;
        if (requested is { } r) path = r;
        else if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } env) path = Parse(env);
        else return Best;
        if (!IsUsable(path))
            throw new SessionConfigurationException(
                $"kernel path '{Name(path)}' cannot run here (usable: {string.Join(", ", Usable.Select(Name))})");
        return path;
    }
}
