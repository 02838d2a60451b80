using EdgeNorm.Model.Format;
using EdgeNorm.Model.Ir;

namespace EdgeNorm.Runtime.Execution;

/// <summary>
/// THE one floating-point step of inference (ARCHITECTURE.md §5; excluded from the integer-only IL scan):
/// quantising float32 graph inputs, q = clamp(round_half_even(x / s) + z), and dequantising outputs,
/// y = s · (q − z) as one float32 multiply. Nothing else in the executor touches float.
/// </summary>
internal static class Boundary
{
    public static void Quantize(string name, ReadOnlySpan<float> x, QuantParams q, DataType dtype, Span<byte> arena)
    {
        float s = q.Scales[0];
        long z = q.ZeroPoints[0];
        switch (dtype)
        {
            case DataType.Int8:
                {
                    var dst = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, sbyte>(arena);
                    for (int i = 0; i < x.Length; i++) dst[i] = (sbyte)Code(name, i, x[i], s, z, sbyte.MinValue, sbyte.MaxValue);
                    break;
                }
            case DataType.UInt8:
                for (int i = 0; i < x.Length; i++) arena[i] = (byte)Code(name, i, x[i], s, z, byte.MinValue, byte.MaxValue);
                break;
            case DataType.Int16:
                {
                    var dst = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, short>(arena);
                    for (int i = 0; i < x.Length; i++) dst[i] = (short)Code(name, i, x[i], s, z, short.MinValue, short.MaxValue);
                    break;
                }
            default:
                throw new UnsupportedModelException($"input '{name}': quantised boundary dtype {dtype.Name()} is not supported");
        }
    }

    /// <summary>NaN is refused (naming the flat element index, batch included); ±Inf saturates like any out-of-range value.</summary>
    private static long Code(string name, int index, float x, float s, long z, long lo, long hi)
    {
        if (float.IsNaN(x)) throw new InputShapeException($"input '{name}' contains NaN at element {index}; NaN has no quantised code — clean the input");
        float r = MathF.Round(x / s, MidpointRounding.ToEven);
        if (r >= hi - z) return hi;
        if (r <= lo - z) return lo;
        return (long)r + z;
    }

    public static void Dequantize(ReadOnlySpan<byte> arena, QuantParams q, DataType dtype, Span<float> y)
    {
        float s = q.Scales[0];
        int z = (int)q.ZeroPoints[0];
        switch (dtype)
        {
            case DataType.Int8:
                {
                    var src = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, sbyte>(arena);
                    for (int i = 0; i < y.Length; i++) y[i] = s * (src[i] - z);
                    break;
                }
            case DataType.Int16:
                {
                    var src = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, short>(arena);
                    for (int i = 0; i < y.Length; i++) y[i] = s * (src[i] - z);
                    break;
                }
            case DataType.Int32:
                {
                    var src = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(arena);
                    for (int i = 0; i < y.Length; i++) y[i] = s * (float)((long)src[i] - z);
                    break;
                }
            default:
                throw new UnsupportedModelException($"output dtype {dtype.Name()} cannot be dequantised");
        }
    }
}
