using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace EdgeNorm.Runtime.Kernels.Gemm;

/// <summary>
/// 8×16 tile with AVX-512BW, exact: the scheme of <see cref="Avx2Gemm4x16"/> on zmm, where one 64-byte weight block
/// (16 channels × 4 k) is one register and each row needs a single accumulator. (.NET 10 has no managed zmm
/// vpdpbusd; vpmaddubsw would saturate.)
/// </summary>
internal readonly unsafe struct Avx512BW8x16 : IGemmTile
{
    public static int Rows => 8;
    public static bool UnsignedActivations => false;
    public static int BytesPerGroup => 8;

    public static void PrepareRow(sbyte* x, int k, byte* dst, int groups) => ActivationRows.EvenOddPairs(x, k, dst, groups);

    public static void Compute(byte* a, nint stride, byte* w, int groups, int* init, int* c)
    {
        var i = Avx512F.LoadVector512(init);
        Vector512<int> c0 = i, c1 = i, c2 = i, c3 = i, c4 = i, c5 = i, c6 = i, c7 = i;
        byte* a0 = a, a1 = a + stride, a2 = a1 + stride, a3 = a2 + stride, a4 = a3 + stride, a5 = a4 + stride,
            a6 = a5 + stride, a7 = a6 + stride;
        nint end = (nint)groups * 8;
        for (nint g = 0; g < end; g += 8, w += 64)
        {
            var r = Avx512F.LoadVector512((short*)w);
            var we = Avx512BW.ShiftRightArithmetic(Avx512BW.ShiftLeftLogical(r, 8), 8);
            var wo = Avx512BW.ShiftRightArithmetic(r, 8);
            c0 = Row(c0, a0 + g, we, wo);
            c1 = Row(c1, a1 + g, we, wo);
            c2 = Row(c2, a2 + g, we, wo);
            c3 = Row(c3, a3 + g, we, wo);
            c4 = Row(c4, a4 + g, we, wo);
            c5 = Row(c5, a5 + g, we, wo);
            c6 = Row(c6, a6 + g, we, wo);
            c7 = Row(c7, a7 + g, we, wo);
        }
        Avx512F.Store(c, c0); Avx512F.Store(c + 16, c1); Avx512F.Store(c + 32, c2); Avx512F.Store(c + 48, c3);
        Avx512F.Store(c + 64, c4); Avx512F.Store(c + 80, c5); Avx512F.Store(c + 96, c6); Avx512F.Store(c + 112, c7);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Row(Vector512<int> acc, byte* x, Vector512<short> we, Vector512<short> wo)
    {
        var e = Vector512.Create(*(int*)x).AsInt16();
        var o = Vector512.Create(*(int*)(x + 4)).AsInt16();
        return Avx512F.Add(acc, Avx512F.Add(Avx512BW.MultiplyAddAdjacent(e, we), Avx512BW.MultiplyAddAdjacent(o, wo)));
    }
}
