using EdgeNorm.Runtime.Kernels.Reference;
using EdgeNorm.Runtime.Kernels.Vector;
using EdgeNorm.Runtime.Numerics;
using Xunit;

namespace EdgeNorm.Runtime.Tests.VectorKernels;

/// <summary>Scores and attention × V by codes: vector ints equal the reference loops.</summary>
public class AttentionVectorTests
{
    private static readonly int[] HeadDims = [1, 3, 4, 8, 12, 16, 24, 32, 48, 64];

    [Theory]
    [MemberData(nameof(VectorCases.Widths), MemberType = typeof(VectorCases))]
    public void Scores_EqualTheReferenceDotAndRequant(VectorWidth width)
    {
        var rng = new Random(30);
        foreach (int dh in HeadDims)
            foreach (int n in VectorCases.Lengths.Where(n => n <= 197))
                for (int kind = 0; kind < VectorCases.Kinds; kind++)
                {
                    var q = VectorCases.Int8(rng, dh, kind);
                    var k = VectorCases.Int8(rng, n * dh, kind == 4 ? 4 : (kind + 1) % VectorCases.Kinds);
                    var m = rng.Next(2) == 0 ? VectorCases.Multiplier(rng) : VectorCases.Multiplier(rng, 20, 34);
                    var expected = new int[n];
                    for (int j = 0; j < n; j++)
                    {
                        int dot = 0;
                        for (int d = 0; d < dh; d++) dot += q[d] * k[j * dh + d];
                        expected[j] = Requantizer.ToInt32(dot, m);
                    }
                    var q16 = new short[dh];
                    var k16 = new short[n * dh];
                    AttentionVector.Widen(q, dh, 0, 1, dh, q16);
                    AttentionVector.Widen(k, dh, 0, n, dh, k16);
                    var actual = new int[n];
                    AttentionVector.Scores(q16, k16, m, actual, width);
                    SpanAssert.Equal(expected, actual, $"dh={dh} n={n} kind={kind} m={m}");
                }
    }

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
    public void WeightedSums_EqualReference(VectorWidth width)
    {
        var rng = new Random(31);
        foreach (int dh in HeadDims)
            foreach (int n in VectorCases.Lengths.Where(n => n <= 197))
                for (int kind = 0; kind < VectorCases.Kinds; kind++)
                    for (int codeKind = 0; codeKind < 5; codeKind++)
                    {
                        // V inside a wider row (stride, offset) as the op reads it from the packed qkv.
                        int stride = 3 * dh, offset = dh;
                        var qkv = VectorCases.Int8(rng, n * stride, kind);
                        var v = new sbyte[n * dh];
                        for (int i = 0; i < n; i++) qkv.AsSpan(i * stride + offset, dh).CopyTo(v.AsSpan(i * dh));
                        var packed = new int[(n + 1) / 2 * dh];
                        AttentionVector.PackValuePairs(qkv, stride, offset, n, dh, packed);
                        var codes = Codes(rng, n, codeKind);

                        var expected = new int[dh];
                        var actual = Enumerable.Repeat(99, dh).ToArray();
                        AttentionReference.LisWeightedSum(codes, v, expected);
                        AttentionVector.LisWeightedSum(codes, packed, actual, width);
                        SpanAssert.Equal(expected, actual, $"LIS dh={dh} n={n} kind={kind} codes={codeKind}");

                        var expectedOdd = new int[dh];
                        var actualOdd = Enumerable.Repeat(99, dh).ToArray();
                        AttentionReference.LogSqrt2WeightedSums(codes, v, expected, expectedOdd);
                        AttentionVector.LogSqrt2WeightedSums(codes, packed, actual, actualOdd, width);
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

/// <summary>The AVX-VNNI scores (u8 × s8 with the 128·Σk correction) equal the reference dot and requant.</summary>
public class ScoresVnniTests
{
    [Fact]
    public void ScoresVnni_EqualTheReferenceDotAndRequant()
    {
        Assert.SkipUnless(ScoresVnni.IsSupported, "this CPU has no AVX-VNNI");
        var rng = new Random(33);
        foreach (int dh in (int[])[32, 64, 96])
            foreach (int n in VectorCases.Lengths.Where(n => n <= 197))
                for (int kind = 0; kind < VectorCases.Kinds; kind++)
                {
                    int stride = 3 * dh;
                    var qkv = VectorCases.Int8(rng, n * stride, kind);
                    var q = VectorCases.Int8(rng, dh, (kind + 1) % VectorCases.Kinds);
                    var m = rng.Next(2) == 0 ? VectorCases.Multiplier(rng) : VectorCases.Multiplier(rng, 20, 34);
                    var expected = new int[n];
                    for (int j = 0; j < n; j++)
                    {
                        int dot = 0;
                        for (int d = 0; d < dh; d++) dot += q[d] * qkv[j * stride + dh + d];
                        expected[j] = Requantizer.ToInt32(dot, m);
                    }
                    var keys = new sbyte[n * dh];
                    var corrections = new int[n];
                    var biased = new byte[dh];
                    ScoresVnni.PrepareKeys(qkv, stride, dh, n, dh, keys, corrections);
                    ScoresVnni.BiasQuery(q, biased);
                    var actual = new int[n];
                    ScoresVnni.Scores(biased, keys, corrections, m, actual);
                    SpanAssert.Equal(expected, actual, $"dh={dh} n={n} kind={kind} m={m}");
                }
    }
}
