using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace EdgeNorm.Runtime.Kernels.Gemm;

/// <summary>
/// The requant epilogue with AVX2, 8 channels per ymm, exact by the rewrites of <see cref="RequantChannels"/>: clamp,
/// vpmuldq on even and odd lanes, + (2^(k−1) + 2^62), vpsrlvq by k, low dwords, + adjusted offset, saturating packs.
/// </summary>
internal readonly unsafe struct Avx2Epilogue : IRequantEpilogue
{
    public static void Store(int* acc, RequantChannels q, int col0, int count, sbyte* dst)
    {
        if (!q.VectorExact)
        {
            ScalarEpilogue.Store(acc, q, col0, count, dst);
            return;
        }
        var s16 = Pack16(Eight(acc, q, col0), Eight(acc + 8, q, col0 + 8));
        var s8 = Sse2.PackSignedSaturate(s16.GetLower(), s16.GetUpper());
        if (count == 16) s8.Store(dst);
        else
        {
            sbyte* t = stackalloc sbyte[16];
            s8.Store(t);
            for (int j = 0; j < count; j++) dst[j] = t[j];
        }
    }

    public static void Store(int* acc, RequantChannels q, int col0, int count, short* dst)
    {
        if (!q.VectorExact)
        {
            ScalarEpilogue.Store(acc, q, col0, count, dst);
            return;
        }
        var s16 = Pack16(Eight(acc, q, col0), Eight(acc + 8, q, col0 + 8));
        if (count == 16) s16.Store(dst);
        else
        {
            short* t = stackalloc short[16];
            s16.Store(t);
            for (int j = 0; j < count; j++) dst[j] = t[j];
        }
    }

    /// <summary>Channels c … c+7 (c a multiple of 8) as exact int32 Scale(x) + o, before saturation.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Eight(int* acc, RequantChannels q, int c)
    {
        var x = Avx2.Min(Avx2.Max(Avx.LoadVector256(acc), Avx.LoadVector256(q.Low + c)), Avx.LoadVector256(q.High + c));
        var xOdd = Avx2.ShiftRightLogical(x.AsInt64(), 32).AsInt32();
        // vpmuldq reads the low dword of each qword: m[c + 1 …] puts the odd channels' mantissas there.
        var even = Avx2.Add(Avx2.Multiply(x, Avx.LoadVector256(q.Mantissa + c)), Avx.LoadVector256(q.RoundEvenOdd + c));
        var odd = Avx2.Add(Avx2.Multiply(xOdd, Avx.LoadVector256(q.Mantissa + c + 1)), Avx.LoadVector256(q.RoundEvenOdd + c + 4));
        even = Avx2.ShiftRightLogicalVariable(even, Avx.LoadVector256((ulong*)q.ShiftEvenOdd + c).AsUInt64()).AsInt64();
        odd = Avx2.ShiftRightLogicalVariable(odd, Avx.LoadVector256((ulong*)q.ShiftEvenOdd + c + 4).AsUInt64()).AsInt64();
        var y = Avx2.Blend(even.AsInt32(), Avx2.ShiftLeftLogical(odd, 32).AsInt32(), 0b1010_1010);
        return Avx2.Add(y, Avx.LoadVector256(q.OffsetAdjusted + c));
    }

    /// <summary>Two ymm of int32 (channels 0–7, 8–15) → 16 int16 in channel order, saturated.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> Pack16(Vector256<int> a, Vector256<int> b) =>
        Avx2.Permute4x64(Avx2.PackSignedSaturate(a, b).AsInt64(), 0b11_01_10_00).AsInt16();
}
