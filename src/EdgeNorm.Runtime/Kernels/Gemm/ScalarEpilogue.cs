using EdgeNorm.Runtime.Numerics;

namespace EdgeNorm.Runtime.Kernels.Gemm;

/// <summary>The requant epilogue by <see cref="Requantizer"/> itself, one value at a time (also the fallback of the vector ones).</summary>
internal readonly unsafe struct ScalarEpilogue : IRequantEpilogue
{
    public static void Store(int* acc, RequantChannels q, int col0, int count, sbyte* dst)
    {
        for (int j = 0; j < count; j++) dst[j] = Requantizer.ToInt8(acc[j], q.Multipliers[col0 + j], q.Offsets[col0 + j]);
    }

    public static void Store(int* acc, RequantChannels q, int col0, int count, short* dst)
    {
        for (int j = 0; j < count; j++) dst[j] = Requantizer.ToInt16(acc[j], q.Multipliers[col0 + j], q.Offsets[col0 + j]);
    }
}
