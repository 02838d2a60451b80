using EdgeNorm.Runtime.Kernels.Reference;
using EdgeNorm.Runtime.Kernels.Vector;
using EdgeNorm.Runtime.Numerics;
using Xunit;

namespace EdgeNorm.Runtime.Tests.VectorKernels;

/// <summary>Attention × V by codes and the renormalisation: vector ints equal the reference loops (Q·Kᵀ: GemmProductsTests).</summary>
public class AttentionVectorTests
{
    private static readonly int[] HeadDims = [1, 3, 4, 8, 12, 16, 24, 32, 48, 64];

    private static byte[] Codes(Random rng, int n, int kind) => Enumerable.Range(0, n).Select(_ => kind switch
    {
        0 => (byte)rng.Next(0, 17),
        1 => (byte)0, // every key weighs 2^15
        2 => Log2Codes.Zero, // nothing attends
        3 => (byte)rng.Next(0, 256), // codes above 16 count as zero
        _ => rng.Next(8) == 0 ? (byte)rng.Next(0, 16) : Log2Codes.Zero, // a peaky row
    }).ToArray();

    [Theory]
    [MemberData(nameof(VectorCases.Widths), MemberType = typeof(VectorCases))]
    public void WeightedValueRows_EqualReference(VectorWidth width)
    {
        var rng = new Random(34);
        // 300 and 600 keys: more than one list chunk (256 keys) and odd list lengths.
        foreach (int dh in HeadDims)
            foreach (int n in VectorCases.Lengths.Where(n => n <= 197).Append(300).Append(600))
                for (int kind = 0; kind < VectorCases.Kinds; kind++)
                    for (int codeKind = 0; codeKind < 5; codeKind++)
                    {
                        int stride = 3 * dh, offset = 2 * dh;
                        var qkv = VectorCases.Int8(rng, n * stride, kind);
                        var v = new sbyte[n * dh];
                        for (int i = 0; i < n; i++) qkv.AsSpan(i * stride + offset, dh).CopyTo(v.AsSpan(i * dh));
                        var rows = new short[n * dh];
                        AttentionVector.Widen(qkv, stride, offset, n, dh, rows);
                        var codes = Codes(rng, n, codeKind);

                        var expected = new int[dh];
                        var actual = Enumerable.Repeat(99, dh).ToArray();
                        AttentionReference.LisWeightedSum(codes, v, expected);
                        WeightedValueRows.Lis(codes, rows, actual, width);
                        SpanAssert.Equal(expected, actual, $"LIS dh={dh} n={n} kind={kind} codes={codeKind}");

                        var expectedOdd = new int[dh];
                        var actualOdd = Enumerable.Repeat(99, dh).ToArray();
                        AttentionReference.LogSqrt2WeightedSums(codes, v, expected, expectedOdd);
                        WeightedValueRows.LogSqrt2(codes, rows, actual, actualOdd, width);
                        SpanAssert.Equal(expected, actual, $"log√2 even dh={dh} n={n} kind={kind} codes={codeKind}");
                        SpanAssert.Equal(expectedOdd, actualOdd, $"log√2 odd dh={dh} n={n} kind={kind} codes={codeKind}");
                    }
    }

    [Theory]
    [MemberData(nameof(VectorCases.Widths), MemberType = typeof(VectorCases))]
    public void Renormalize_EqualsReference(VectorWidth width)
    {
        var rng = new Random(32);
        foreach (int dh in HeadDims)
            for (int kind = 0; kind < VectorCases.Kinds; kind++)
                foreach (int sum in (int[])[0, 1, 3, 32768, 49151, rng.Next(1, 1 << 20), int.MaxValue])
                {
                    var expected = VectorCases.Int32(rng, dh, kind);
                    var actual = expected.ToArray();
                    AttentionReference.Renormalize(expected, sum);
                    AttentionVector.Renormalize(actual, sum, width);
                    SpanAssert.Equal(expected, actual, $"dh={dh} kind={kind} S={sum}");
                }
    }
}
