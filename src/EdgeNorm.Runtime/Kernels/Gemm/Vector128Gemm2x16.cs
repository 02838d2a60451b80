using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace EdgeNorm.Runtime.Kernels.Gemm;

/// <summary>
/// 2×16 tile in portable <see cref="Vector128{T}"/> (SSE or NEON through the JIT), exact: the even/odd int16 scheme of
/// <see cref="Avx2Gemm4x16"/> with the pairwise multiply-add written as an int16 multiply (|x·W| ≤ 2^14 fits) and
/// two shifts. The fallback where no ISA-specific kernel applies.
/// </summary>
internal readonly unsafe struct Vector128Gemm2x16 : IGemmTile
{
    public static int Rows => 2;
    public static bool UnsignedActivations => false;
    public static int BytesPerGroup => 8;

    public static void PrepareRow(sbyte* x, int k, byte* dst, int groups) => ActivationRows.EvenOddPairs(x, k, dst, groups);

    public static void Compute(byte* a, nint stride, byte* w, int groups, int* init, int* c)
    {
        var i0 = Vector128.Load(init);
        var i1 = Vector128.Load(init + 4);
        var i2 = Vector128.Load(init + 8);
        var i3 = Vector128.Load(init + 12);
        Vector128<int> c00 = i0, c01 = i1, c02 = i2, c03 = i3, c10 = i0, c11 = i1, c12 = i2, c13 = i3;
        byte* a0 = a, a1 = a + stride;
        nint end = (nint)groups * 8;
        for (nint g = 0; g < end; g += 8, w += 64)
        {
            var e0 = Vector128.Create(*(int*)(a0 + g)).AsInt16();
            var o0 = Vector128.Create(*(int*)(a0 + g + 4)).AsInt16();
            var e1 = Vector128.Create(*(int*)(a1 + g)).AsInt16();
            var o1 = Vector128.Create(*(int*)(a1 + g + 4)).AsInt16();
            Quad(ref c00, ref c10, w, e0, o0, e1, o1);
            Quad(ref c01, ref c11, w + 16, e0, o0, e1, o1);
            Quad(ref c02, ref c12, w + 32, e0, o0, e1, o1);
            Quad(ref c03, ref c13, w + 48, e0, o0, e1, o1);
        }
        c00.Store(c); c01.Store(c + 4); c02.Store(c + 8); c03.Store(c + 12);
        c10.Store(c + 16); c11.Store(c + 20); c12.Store(c + 24); c13.Store(c + 28);
    }

    /// <summary>Four channels (16 weight bytes) against both rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Quad(ref Vector128<int> r0, ref Vector128<int> r1, byte* w, Vector128<short> e0, Vector128<short> o0,
        Vector128<short> e1, Vector128<short> o1)
    {
        var raw = Vector128.Load((short*)w);
        var we = (raw << 8) >> 8;
        var wo = raw >> 8;
        r0 += MultiplyAddPairs(e0, we) + MultiplyAddPairs(o0, wo);
        r1 += MultiplyAddPairs(e1, we) + MultiplyAddPairs(o1, wo);
    }

    /// <summary>Per int32 lane: a_lo·b_lo + a_hi·b_hi of the two int16 halves (pmaddwd), for int8-range inputs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> MultiplyAddPairs(Vector128<short> a, Vector128<short> b)
    {
        var p = (a * b).AsInt32();
        return ((p << 16) >> 16) + (p >> 16);
    }
}
