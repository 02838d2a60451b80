using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using EdgeNorm.Runtime.Platform;

namespace EdgeNorm.Runtime.Kernels.Vector;

/// <summary>The lane width a vector kernel runs at: <see cref="Lanes128"/> or <see cref="Lanes256"/>.</summary>
public enum VectorWidth
{
    /// <summary>Four int32 lanes (NEON, or the forced <c>vector128</c> path on x64).</summary>
    Lanes128,
    /// <summary>Eight int32 lanes (AVX2 and above).</summary>
    Lanes256,
}

/// <summary>Which width a session's <see cref="KernelPath"/> runs the non-GEMM vector kernels at (decided once per session).</summary>
public static class VectorWidths
{
    /// <summary>
    /// <see cref="VectorWidth.Lanes256"/> for the x64 AVX paths (all imply AVX2), <see cref="VectorWidth.Lanes128"/> for
    /// <see cref="KernelPath.Vector128"/> and the NEON paths. <see cref="KernelPath.Scalar"/> has no width: its ops
    /// call the reference kernels.
    /// </summary>
    public static VectorWidth For(KernelPath path) => path switch
    {
        KernelPath.Avx2 or KernelPath.AvxVnni or KernelPath.Avx512BW when Avx2.IsSupported && Vector256.IsHardwareAccelerated => VectorWidth.Lanes256,
        KernelPath.Scalar => throw new ArgumentException("the scalar path runs the reference kernels", nameof(path)),
        _ => VectorWidth.Lanes128,
    };

    /// <summary>The widths usable here (for tests and benchmarks).</summary>
    public static IEnumerable<VectorWidth> Usable
    {
        get
        {
            if (Vector128.IsHardwareAccelerated) yield return VectorWidth.Lanes128;
            if (Avx2.IsSupported && Vector256.IsHardwareAccelerated) yield return VectorWidth.Lanes256;
        }
    }
}
