using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace EdgeNorm.Runtime.Kernels.Gemm;

/// <summary>
/// 4×16 tile with AVX2, exact: vpmaddwd on int16. A weight qword lane holds W[c, 0..3]; shifted as int16 it gives
/// (W0, W2) in the even bytes and (W1, W3) in the odd bytes, each sign-extended; the prepared row broadcasts
/// (x0, x2) and (x1, x3) as int16 pairs, so two vpmaddwd give Σ x·W per int32 lane = channel, with no saturation
/// (vpmaddubsw could saturate). 8 accumulators + 4 weight + 2 broadcast registers.
/// </summary>
internal readonly unsafe struct Avx2Gemm4x16 : IGemmTile
{
    public static int Rows => 4;
    public static bool UnsignedActivations => false;
    public static int BytesPerGroup => 8;

    public static void PrepareRow(sbyte* x, int k, byte* dst, int groups) => ActivationRows.EvenOddPairs(x, k, dst, groups);

    public static void Compute(byte* a, nint stride, byte* w, int groups, int* init, int* c)
    {
        var i0 = Avx.LoadVector256(init);
        var i1 = Avx.LoadVector256(init + 8);
        Vector256<int> c00 = i0, c01 = i1, c10 = i0, c11 = i1, c20 = i0, c21 = i1, c30 = i0, c31 = i1;
        byte* a0 = a, a1 = a + stride, a2 = a1 + stride, a3 = a2 + stride;
        nint end = (nint)groups * 8;
        for (nint g = 0; g < end; g += 8, w += 64)
        {
            var r0 = Avx.LoadVector256((short*)w);
            var r1 = Avx.LoadVector256((short*)(w + 32));
            var we0 = Avx2.ShiftRightArithmetic(Avx2.ShiftLeftLogical(r0, 8), 8);
            var wo0 = Avx2.ShiftRightArithmetic(r0, 8);
            var we1 = Avx2.ShiftRightArithmetic(Avx2.ShiftLeftLogical(r1, 8), 8);
            var wo1 = Avx2.ShiftRightArithmetic(r1, 8);
            Row(ref c00, ref c01, a0 + g, we0, wo0, we1, wo1);
            Row(ref c10, ref c11, a1 + g, we0, wo0, we1, wo1);
            Row(ref c20, ref c21, a2 + g, we0, wo0, we1, wo1);
            Row(ref c30, ref c31, a3 + g, we0, wo0, we1, wo1);
        }
        Avx.Store(c, c00); Avx.Store(c + 8, c01);
        Avx.Store(c + 16, c10); Avx.Store(c + 24, c11);
        Avx.Store(c + 32, c20); Avx.Store(c + 40, c21);
        Avx.Store(c + 48, c30); Avx.Store(c + 56, c31);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static void Row(ref Vector256<int> lo, ref Vector256<int> hi, byte* x, Vector256<short> we0, Vector256<short> wo0,
        Vector256<short> we1, Vector256<short> wo1)
    {
        var e = Vector256.Create(*(int*)x).AsInt16();
        var o = Vector256.Create(*(int*)(x + 4)).AsInt16();
        lo = Avx2.Add(lo, Avx2.Add(Avx2.MultiplyAddAdjacent(e, we0), Avx2.MultiplyAddAdjacent(o, wo0)));
        hi = Avx2.Add(hi, Avx2.Add(Avx2.MultiplyAddAdjacent(e, we1), Avx2.MultiplyAddAdjacent(o, wo1)));
    }
}
