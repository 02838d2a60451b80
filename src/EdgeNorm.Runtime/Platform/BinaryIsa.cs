using System.Runtime.Intrinsics;
using ArmAdvSimd = System.Runtime.Intrinsics.Arm.AdvSimd;
using ArmDp = System.Runtime.Intrinsics.Arm.Dp;
using X86 = System.Runtime.Intrinsics.X86;

namespace EdgeNorm.Runtime.Platform;

/// <summary>
/// The instruction sets this binary can execute on this CPU. Under the JIT these follow the CPU; under
/// NativeAOT each is either compiled in as a run-time check (e.g. dotprod, AVX-VNNI on x86-64-v3) or fixed
/// by the publish profile's IlcInstructionSet — which is why <c>edgenorm info</c> shows both this and
/// <see cref="CpuFeatures"/>.
/// </summary>
public static class BinaryIsa
{
    public static IReadOnlyList<(string Name, bool Usable)> All { get; } =
    [
        ("vector128", Vector128.IsHardwareAccelerated),
        ("vector256", Vector256.IsHardwareAccelerated),
        ("vector512", Vector512.IsHardwareAccelerated),
        ("avx2", X86.Avx2.IsSupported),
        ("avx-vnni", X86.AvxVnni.IsSupported),
        ("avx512bw", X86.Avx512BW.IsSupported),
        ("neon", ArmAdvSimd.IsSupported),
        ("neon-dotprod", ArmDp.IsSupported),
    ];

    public static IEnumerable<string> Usable => All.Where(p => p.Usable).Select(p => p.Name);
}
