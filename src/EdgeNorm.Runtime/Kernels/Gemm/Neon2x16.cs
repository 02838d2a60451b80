using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.Arm;

namespace EdgeNorm.Runtime.Kernels.Gemm;

/// <summary>
/// 2×16 tile with NEON without dotprod (Cortex-A72, Pi 4), exact: smull/smull2 of a weight quad (4 channels × 4 k) by
/// the broadcast x0..x3 gives int16 products, sadalp adds adjacent pairs into int32 (two half sums per channel);
/// addp folds the halves at the end. 16 accumulators, 4 weight registers.
/// </summary>
internal readonly unsafe struct Neon2x16 : IGemmTile
{
    public static int Rows => 2;
    public static bool UnsignedActivations => false;
    public static int BytesPerGroup => 4;

    public static void PrepareRow(sbyte* x, int k, byte* dst, int groups) => ActivationRows.Copy(x, k, dst, groups);

    public static void Compute(byte* a, nint stride, byte* w, int groups, int* init, int* c)
    {
        // h{row}{pair}: channels 2·pair, 2·pair+1, each as two half sums.
        Vector128<int> h00 = default, h01 = default, h02 = default, h03 = default, h04 = default, h05 = default, h06 = default, h07 = default;
        Vector128<int> h10 = default, h11 = default, h12 = default, h13 = default, h14 = default, h15 = default, h16 = default, h17 = default;
        byte* a0 = a, a1 = a + stride;
        nint end = (nint)groups * 4;
        for (nint g = 0; g < end; g += 4, w += 64)
        {
            var x0 = Vector128.Create(*(int*)(a0 + g)).AsSByte();
            var x1 = Vector128.Create(*(int*)(a1 + g)).AsSByte();
            var w0 = AdvSimd.LoadVector128((sbyte*)w);
            var w1 = AdvSimd.LoadVector128((sbyte*)w + 16);
            var w2 = AdvSimd.LoadVector128((sbyte*)w + 32);
            var w3 = AdvSimd.LoadVector128((sbyte*)w + 48);
            h00 = AdvSimd.AddPairwiseWideningAndAdd(h00, AdvSimd.MultiplyWideningLower(w0.GetLower(), x0.GetLower()));
            h01 = AdvSimd.AddPairwiseWideningAndAdd(h01, AdvSimd.MultiplyWideningUpper(w0, x0));
            h02 = AdvSimd.AddPairwiseWideningAndAdd(h02, AdvSimd.MultiplyWideningLower(w1.GetLower(), x0.GetLower()));
            h03 = AdvSimd.AddPairwiseWideningAndAdd(h03, AdvSimd.MultiplyWideningUpper(w1, x0));
            h04 = AdvSimd.AddPairwiseWideningAndAdd(h04, AdvSimd.MultiplyWideningLower(w2.GetLower(), x0.GetLower()));
            h05 = AdvSimd.AddPairwiseWideningAndAdd(h05, AdvSimd.MultiplyWideningUpper(w2, x0));
            h06 = AdvSimd.AddPairwiseWideningAndAdd(h06, AdvSimd.MultiplyWideningLower(w3.GetLower(), x0.GetLower()));
            h07 = AdvSimd.AddPairwiseWideningAndAdd(h07, AdvSimd.MultiplyWideningUpper(w3, x0));
            h10 = AdvSimd.AddPairwiseWideningAndAdd(h10, AdvSimd.MultiplyWideningLower(w0.GetLower(), x1.GetLower()));
            h11 = AdvSimd.AddPairwiseWideningAndAdd(h11, AdvSimd.MultiplyWideningUpper(w0, x1));
            h12 = AdvSimd.AddPairwiseWideningAndAdd(h12, AdvSimd.MultiplyWideningLower(w1.GetLower(), x1.GetLower()));
            h13 = AdvSimd.AddPairwiseWideningAndAdd(h13, AdvSimd.MultiplyWideningUpper(w1, x1));
            h14 = AdvSimd.AddPairwiseWideningAndAdd(h14, AdvSimd.MultiplyWideningLower(w2.GetLower(), x1.GetLower()));
            h15 = AdvSimd.AddPairwiseWideningAndAdd(h15, AdvSimd.MultiplyWideningUpper(w2, x1));
            h16 = AdvSimd.AddPairwiseWideningAndAdd(h16, AdvSimd.MultiplyWideningLower(w3.GetLower(), x1.GetLower()));
            h17 = AdvSimd.AddPairwiseWideningAndAdd(h17, AdvSimd.MultiplyWideningUpper(w3, x1));
        }
        Fold(c, init, h00, h01, h02, h03, h04, h05, h06, h07);
        Fold(c + 16, init, h10, h11, h12, h13, h14, h15, h16, h17);
    }

    private static void Fold(int* c, int* init, Vector128<int> p0, Vector128<int> p1, Vector128<int> p2, Vector128<int> p3,
        Vector128<int> p4, Vector128<int> p5, Vector128<int> p6, Vector128<int> p7)
    {
        AdvSimd.Add(AdvSimd.Arm64.AddPairwise(p0, p1), AdvSimd.LoadVector128(init)).Store(c);
        AdvSimd.Add(AdvSimd.Arm64.AddPairwise(p2, p3), AdvSimd.LoadVector128(init + 4)).Store(c + 4);
        AdvSimd.Add(AdvSimd.Arm64.AddPairwise(p4, p5), AdvSimd.LoadVector128(init + 8)).Store(c + 8);
        AdvSimd.Add(AdvSimd.Arm64.AddPairwise(p6, p7), AdvSimd.LoadVector128(init + 12)).Store(c + 12);
    }
}
