using EdgeNorm.Runtime.Kernels.Reference;
using EdgeNorm.Runtime.Kernels.Vector;
using Xunit;

namespace EdgeNorm.Runtime.Tests.VectorKernels;

/// <summary>L1Norm and LayerNorm rows: vector ints equal the reference's, including all-equal rows (spread 0) and extremes.</summary>
public class NormVectorTests
{
    [Theory]
    [MemberData(nameof(VectorCases.Widths), MemberType = typeof(VectorCases))]
    public void L1NormRow_EqualsReference(VectorWidth width)
    {
        var rng = new Random(10);
        foreach (int n in VectorCases.Lengths.Append(40_000))
            for (int kind = 0; kind < VectorCases.Kinds + 1; kind++)
            {
                var row = kind == VectorCases.Kinds ? Enumerable.Repeat((short)rng.Next(-9, 9), n).ToArray() : VectorCases.Int16(rng, n, kind);
                foreach (long eps in (long[])[0, 1, rng.Next(1, 100_000), 1L << 40])
                {
                    var expected = new int[n];
                    var actual = new int[n];
                    NormalizationReference.L1NormRow(row, expected, eps);
                    NormVector.L1NormRow(row, actual, eps, width);
                    SpanAssert.Equal(expected, actual, $"n={n} kind={kind} ε={eps}");
                }
            }
    }

    [Theory]
    [MemberData(nameof(VectorCases.Widths), MemberType = typeof(VectorCases))]
    public void LayerNormRow_EqualsReference(VectorWidth width)
    {
        var rng = new Random(11);
        foreach (int n in VectorCases.Lengths.Append(40_000))
            for (int kind = 0; kind < VectorCases.Kinds + 1; kind++)
            {
                var row = kind == VectorCases.Kinds ? Enumerable.Repeat((short)rng.Next(-9, 9), n).ToArray() : VectorCases.Int16(rng, n, kind);
                foreach (int sh in (int[])[0, 1, 5, 31])
                    foreach (long eps in (long[])[0, rng.Next(1, 100_000), 1L << 40])
                    {
                        var expected = new int[n];
                        var actual = new int[n];
                        NormalizationReference.LayerNormRow(row, expected, sh, eps);
                        NormVector.LayerNormRow(row, actual, sh, eps, width);
                        SpanAssert.Equal(expected, actual, $"n={n} kind={kind} sh={sh} ε={eps}");
                    }
            }
    }

    [Fact]
    public void AllEqualRow_NormalisesToZero()
    {
        var row = Enumerable.Repeat((short)1234, 197).ToArray();
        foreach (var w in VectorWidths.Usable)
        {
            var y = Enumerable.Repeat(7, 197).ToArray();
            NormVector.LayerNormRow(row, y, 0, 0, w);
            Assert.All(y, v => Assert.Equal(0, v));
            y.AsSpan().Fill(7);
            NormVector.L1NormRow(row, y, 0, w);
            Assert.All(y, v => Assert.Equal(0, v));
        }
    }
}
