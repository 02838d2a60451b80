using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;

namespace EdgeNorm.Runtime.Kernels.Gemm;

/// <summary>
/// 4×16 tile with the ARMv8.2 dot product (SDOT: s8 × s8, 4 k per int32 lane = channel), the canonical packing read
/// directly: 16 accumulators, 4 weight registers, one broadcast (ld1r) per row.
/// </summary>
internal readonly unsafe struct NeonDot4x16 : IGemmTile
{
    public static int Rows => 4;
    public static bool UnsignedActivations => false;
    public static int BytesPerGroup => 4;

    public static void PrepareRow(sbyte* x, int k, byte* dst, int groups) => ActivationRows.Copy(x, k, dst, groups);

    public static void Compute(byte* a, nint stride, byte* w, int groups, int* init, int* c)
    {
        var i0 = AdvSimd.LoadVector128(init);
        var i1 = AdvSimd.LoadVector128(init + 4);
        var i2 = AdvSimd.LoadVector128(init + 8);
        var i3 = AdvSimd.LoadVector128(init + 12);
        Vector128<int> c00 = i0, c01 = i1, c02 = i2, c03 = i3, c10 = i0, c11 = i1, c12 = i2, c13 = i3;
        Vector128<int> c20 = i0, c21 = i1, c22 = i2, c23 = i3, c30 = i0, c31 = i1, c32 = i2, c33 = i3;
        byte* a0 = a, a1 = a + stride, a2 = a1 + stride, a3 = a2 + stride;
        nint end = (nint)groups * 4;
        for (nint g = 0; g < end; g += 4, w += 64)
        {
            var w0 = AdvSimd.LoadVector128((sbyte*)w);
            var w1 = AdvSimd.LoadVector128((sbyte*)w + 16);
            var w2 = AdvSimd.LoadVector128((sbyte*)w + 32);
            var w3 = AdvSimd.LoadVector128((sbyte*)w + 48);
            var x = Vector128.Create(*(int*)(a0 + g)).AsSByte();
            c00 = Dp.DotProduct(c00, x, w0); c01 = Dp.DotProduct(c01, x, w1); c02 = Dp.DotProduct(c02, x, w2); c03 = Dp.DotProduct(c03, x, w3);
            x = Vector128.Create(*(int*)(a1 + g)).AsSByte();
            c10 = Dp.DotProduct(c10, x, w0); c11 = Dp.DotProduct(c11, x, w1); c12 = Dp.DotProduct(c12, x, w2); c13 = Dp.DotProduct(c13, x, w3);
            x = Vector128.Create(*(int*)(a2 + g)).AsSByte();
            c20 = Dp.DotProduct(c20, x, w0); c21 = Dp.DotProduct(c21, x, w1); c22 = Dp.DotProduct(c22, x, w2); c23 = Dp.DotProduct(c23, x, w3);
            x = Vector128.Create(*(int*)(a3 + g)).AsSByte();
            c30 = Dp.DotProduct(c30, x, w0); c31 = Dp.DotProduct(c31, x, w1); c32 = Dp.DotProduct(c32, x, w2); c33 = Dp.DotProduct(c33, x, w3);
        }
        c00.Store(c); c01.Store(c + 4); c02.Store(c + 8); c03.Store(c + 12);
        c10.Store(c + 16); c11.Store(c + 20); c12.Store(c + 24); c13.Store(c + 28);
        c20.Store(c + 32); c21.Store(c + 36); c22.Store(c + 40); c23.Store(c + 44);
        c30.Store(c + 48); c31.Store(c + 52); c32.Store(c + 56); c33.Store(c + 60);
    }
}
