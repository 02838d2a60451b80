using EdgeNorm.Runtime.Kernels.Reference;
using EdgeNorm.Runtime.Kernels.Vector;
using Xunit;

namespace EdgeNorm.Runtime.Tests.VectorKernels;

/// <summary>The 256-entry byte gather: vector bytes equal the reference's for every index and random tables.</summary>
public class LookupVectorTests
{
    [Theory]
    [MemberData(nameof(VectorCases.Widths), MemberType = typeof(VectorCases))]
    public void Apply_EqualsReference(VectorWidth width)
    {
        var rng = new Random(40);
        for (int trial = 0; trial < 8; trial++)
        {
            var table = new sbyte[256];
            for (int i = 0; i < 256; i++) table[i] = (sbyte)rng.Next(-128, 128);
            foreach (int n in VectorCases.Lengths.Append(31).Append(32).Append(33).Append(256))
                for (int kind = 0; kind < VectorCases.Kinds; kind++)
                {
                    var src = n == 256 ? Enumerable.Range(-128, 256).Select(v => (sbyte)v).ToArray() : VectorCases.Int8(rng, n, kind);
                    var expected = new sbyte[n];
                    var actual = new sbyte[n];
                    LookupTableReference.Apply(src, table, expected);
                    LookupVector.Apply(src, table, actual, width);
                    SpanAssert.Equal(expected, actual, $"n={n} kind={kind}");
                    LookupVector.Apply(src, table, src, width); // in place
                    SpanAssert.Equal(expected, src, $"in place n={n} kind={kind}");
                }
        }
    }
}
