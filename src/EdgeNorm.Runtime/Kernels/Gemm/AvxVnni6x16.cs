using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace EdgeNorm.Runtime.Kernels.Gemm;

/// <summary>
/// 6×16 tile with 256-bit AVX-VNNI vpdpbusd (u8 x + 128 × s8 W, 4 k per int32 lane): 12 accumulators, 2 weight
/// registers, 1 broadcast — the register budget that measured 209–220 GMAC/s on Zen 5 (runtime-perf.md §7).
/// </summary>
internal readonly unsafe struct AvxVnni6x16 : IGemmTile
{
    public static int Rows => 6;
    public static bool UnsignedActivations => true;
    public static int BytesPerGroup => 4;

    public static void PrepareRow(sbyte* x, int k, byte* dst, int groups) => ActivationRows.Biased(x, k, dst, groups);

    public static void Compute(byte* a, nint stride, byte* w, int groups, int* init, int* c)
    {
        var i0 = Avx.LoadVector256(init);
        var i1 = Avx.LoadVector256(init + 8);
        Vector256<int> c00 = i0, c01 = i1, c10 = i0, c11 = i1, c20 = i0, c21 = i1;
        Vector256<int> c30 = i0, c31 = i1, c40 = i0, c41 = i1, c50 = i0, c51 = i1;
        byte* a0 = a, a1 = a + stride, a2 = a1 + stride, a3 = a2 + stride, a4 = a3 + stride, a5 = a4 + stride;
        nint end = (nint)groups * 4;
        for (nint g = 0; g < end; g += 4, w += 64)
        {
            var w0 = Avx.LoadVector256((sbyte*)w);
            var w1 = Avx.LoadVector256((sbyte*)w + 32);
            var b = Vector256.Create(*(int*)(a0 + g)).AsByte();
            c00 = AvxVnni.MultiplyWideningAndAdd(c00, b, w0);
            c01 = AvxVnni.MultiplyWideningAndAdd(c01, b, w1);
            b = Vector256.Create(*(int*)(a1 + g)).AsByte();
            c10 = AvxVnni.MultiplyWideningAndAdd(c10, b, w0);
            c11 = AvxVnni.MultiplyWideningAndAdd(c11, b, w1);
            b = Vector256.Create(*(int*)(a2 + g)).AsByte();
            c20 = AvxVnni.MultiplyWideningAndAdd(c20, b, w0);
            c21 = AvxVnni.MultiplyWideningAndAdd(c21, b, w1);
            b = Vector256.Create(*(int*)(a3 + g)).AsByte();
            c30 = AvxVnni.MultiplyWideningAndAdd(c30, b, w0);
            c31 = AvxVnni.MultiplyWideningAndAdd(c31, b, w1);
            b = Vector256.Create(*(int*)(a4 + g)).AsByte();
            c40 = AvxVnni.MultiplyWideningAndAdd(c40, b, w0);
            c41 = AvxVnni.MultiplyWideningAndAdd(c41, b, w1);
            b = Vector256.Create(*(int*)(a5 + g)).AsByte();
            c50 = AvxVnni.MultiplyWideningAndAdd(c50, b, w0);
            c51 = AvxVnni.MultiplyWideningAndAdd(c51, b, w1);
        }
        Avx.Store(c, c00); Avx.Store(c + 8, c01);
        Avx.Store(c + 16, c10); Avx.Store(c + 24, c11);
        Avx.Store(c + 32, c20); Avx.Store(c + 40, c21);
        Avx.Store(c + 48, c30); Avx.Store(c + 56, c31);
        Avx.Store(c + 64, c40); Avx.Store(c + 72, c41);
        Avx.Store(c + 80, c50); Avx.Store(c + 88, c51);
    }
}
