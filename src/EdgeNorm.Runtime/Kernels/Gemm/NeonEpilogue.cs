using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;

namespace EdgeNorm.Runtime.Kernels.Gemm;

/// <summary>
/// The requant epilogue with NEON, 4 channels per register, exact by the rewrites of <see cref="RequantChannels"/>:
/// clamp, smull/smull2, + (2^(k−1) + 2^62), ushl by −k, xtn, + adjusted offset, sqxtn to int16 (and int8).
/// </summary>
internal readonly unsafe struct NeonEpilogue : IRequantEpilogue
{
    public static void Store(int* acc, RequantChannels q, int col0, int count, sbyte* dst)
    {
        if (!q.VectorExact)
        {
            ScalarEpilogue.Store(acc, q, col0, count, dst);
            return;
        }
        sbyte* t = stackalloc sbyte[16];
        sbyte* o = count == 16 ? dst : t;
        for (int j = 0; j < 16; j += 8)
        {
            var s16 = AdvSimd.ExtractNarrowingSaturateUpper(AdvSimd.ExtractNarrowingSaturateLower(Four(acc + j, q, col0 + j)), Four(acc + j + 4, q, col0 + j + 4));
            AdvSimd.ExtractNarrowingSaturateLower(s16).Store(o + j);
        }
        if (o == t) for (int j = 0; j < count; j++) dst[j] = t[j];
    }

    public static void Store(int* acc, RequantChannels q, int col0, int count, short* dst)
    {
        if (!q.VectorExact)
        {
            ScalarEpilogue.Store(acc, q, col0, count, dst);
            return;
        }
        short* t = stackalloc short[16];
        short* o = count == 16 ? dst : t;
        for (int j = 0; j < 16; j += 4)
            AdvSimd.ExtractNarrowingSaturateLower(Four(acc + j, q, col0 + j)).Store(o + j);
        if (o == t) for (int j = 0; j < count; j++) dst[j] = t[j];
    }

    /// <summary>Channels c … c+3 as exact int32 Scale(x) + o, before saturation.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> Four(int* acc, RequantChannels q, int c)
    {
        var x = AdvSimd.Min(AdvSimd.Max(AdvSimd.LoadVector128(acc), AdvSimd.LoadVector128(q.Low + c)), AdvSimd.LoadVector128(q.High + c));
        var m = AdvSimd.LoadVector128(q.Mantissa + c);
        var lo = AdvSimd.Add(AdvSimd.MultiplyWideningLower(x.GetLower(), m.GetLower()), AdvSimd.LoadVector128(q.Round + c));
        var hi = AdvSimd.Add(AdvSimd.MultiplyWideningUpper(x, m), AdvSimd.LoadVector128(q.Round + c + 2));
        lo = AdvSimd.ShiftLogical(lo.AsUInt64(), AdvSimd.LoadVector128(q.NegativeShift + c)).AsInt64();
        hi = AdvSimd.ShiftLogical(hi.AsUInt64(), AdvSimd.LoadVector128(q.NegativeShift + c + 2)).AsInt64();
        var y = AdvSimd.ExtractNarrowingUpper(AdvSimd.ExtractNarrowingLower(lo), hi);
        return AdvSimd.Add(y, AdvSimd.LoadVector128(q.OffsetAdjusted + c));
    }
}
