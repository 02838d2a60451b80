using System.Runtime.CompilerServices;

namespace EdgeNorm.Runtime.Numerics;

/// <summary>Clamping of a 64-bit intermediate to a storage width; the only saturation used (docs/numerics.md §3).</summary>
public static class Saturate
{
    /// <summary>Clamps to [−128, 127].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static sbyte ToInt8(long v) => (sbyte)Math.Clamp(v, sbyte.MinValue, sbyte.MaxValue);

    /// <summary>Clamps to [0, 255].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte ToUInt8(long v) => (byte)Math.Clamp(v, byte.MinValue, byte.MaxValue);

    /// <summary>Clamps to [−32768, 32767].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static short ToInt16(long v) => (short)Math.Clamp(v, short.MinValue, short.MaxValue);

    /// <summary>Clamps to [−2^31, 2^31 − 1].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int ToInt32(long v) => (int)Math.Clamp(v, int.MinValue, int.MaxValue);
}
