using EdgeNorm.Runtime.Numerics;

namespace EdgeNorm.Runtime.Kernels.Reference;

/// <summary>Scalar reference of the integer GELU forms over spans (docs/numerics.md §7); outputs are int32 for the next requantisation.</summary>
public static class GeluReference
{
    /// <summary><c>dst[i] = IntGelu.IBert(src[i])</c>: i-GELU of int32 codes (e.g. the fc1 accumulator).</summary>
    public static void IBert(ReadOnlySpan<int> src, Span<int> dst, in IntGeluParameters p)
    {
        RequantizeReference.CheckLengths(src.Length, dst.Length);
        for (int i = 0; i < src.Length; i++) dst[i] = IntGelu.IBert(src[i], p);
    }

    /// <summary><c>dst[i] = IntGelu.IBert(src[i])</c>: i-GELU of int8 codes (<c>--gelu igelu</c> on an int8 GELU input).</summary>
    public static void IBert(ReadOnlySpan<sbyte> src, Span<int> dst, in IntGeluParameters p)
    {
        RequantizeReference.CheckLengths(src.Length, dst.Length);
        for (int i = 0; i < src.Length; i++) dst[i] = IntGelu.IBert(src[i], p);
    }

    /// <summary><c>dst[i] = IntGelu.Shift(src[i])</c>: ShiftGELU of int8 codes.</summary>
    public static void Shift(ReadOnlySpan<sbyte> src, Span<int> dst, in ShiftGeluParameters p)
    {
        RequantizeReference.CheckLengths(src.Length, dst.Length);
        for (int i = 0; i < src.Length; i++) dst[i] = IntGelu.Shift(src[i], p);
    }
}
