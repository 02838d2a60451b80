using EdgeNorm.Runtime.Kernels.Reference;
using EdgeNorm.Runtime.Kernels.Vector;
using EdgeNorm.Runtime.Numerics;
using EdgeNorm.Runtime.Numerics.Offline;
using Xunit;

namespace EdgeNorm.Runtime.Tests.VectorKernels;

/// <summary>i-exp rows and LIS / log√2 codes: vector ints and bytes equal the reference's, masked and unmasked.</summary>
public class SoftmaxVectorTests
{
    private static IEnumerable<IBertExpParameters> ExpParameters()
    {
        foreach (double scale in (double[])[Math.ScaleB(1, -10), 1e-3, 0.05, 0.7])
            foreach (int bits in (int[])[15, 30])
                yield return IntExpBuilder.IBert(scale, bits);
        // An output multiplier far above 1: E exceeds int32 and the reference's (int) cast wraps.
        yield return new IBertExpParameters(-7, 20, 140, new DyadicMultiplier(int.MaxValue - 5, 1));
    }

    private static byte[] Mask(Random rng, int n, int kind, int row) => kind switch
    {
        0 => [],
        1 => Enumerable.Range(0, n).Select(_ => (byte)rng.Next(2)).ToArray(),
        2 => new byte[n], // every position masked
        3 => Enumerable.Range(0, n).Select(j => j <= row ? (byte)1 : (byte)0).ToArray(), // causal
        _ => Enumerable.Range(0, n).Select(_ => (byte)rng.Next(256)).ToArray(),
    };

    [Theory]
    [MemberData(nameof(VectorCases.Widths), MemberType = typeof(VectorCases))]
    public void IBertExpRow_EqualsReference(VectorWidth width)
    {
        var rng = new Random(20);
        foreach (var p in ExpParameters())
            foreach (int n in VectorCases.Lengths)
                for (int kind = 0; kind < VectorCases.Kinds + 1; kind++)
                    for (int maskKind = 0; maskKind < 5; maskKind++)
                    {
                        int[] logits = kind == VectorCases.Kinds
                            ? Enumerable.Range(0, n).Select(_ => rng.Next(-3000, 3000)).ToArray() // near the max: every octave
                            : VectorCases.Int32(rng, n, kind);
                        var mask = Mask(rng, n, maskKind, rng.Next(n));
                        var expected = new int[n];
                        var actual = Enumerable.Repeat(-1, n).ToArray();
                        SoftmaxReference.IBertExpRow(logits, mask, p, expected);
                        SoftmaxVector.IBertExpRow(logits, mask, p, actual, width);
                        SpanAssert.Equal(expected, actual, $"p={p} n={n} kind={kind} mask={maskKind}");
                    }
    }

    public static IEnumerable<int[]> CodeRows(Random rng)
    {
        foreach (int n in VectorCases.Lengths)
        {
            yield return Enumerable.Range(0, n).Select(_ => rng.Next(0, 1 << 30)).ToArray();
            yield return Enumerable.Range(0, n).Select(_ => rng.Next(0, 60)).ToArray(); // small ratios: dense near every boundary
            yield return Enumerable.Range(0, n).Select(_ => rng.Next(4) == 0 ? rng.Next(0, 1 << 30) : rng.Next(0, 3)).ToArray();
            yield return Enumerable.Repeat(int.MaxValue, n).ToArray();
            yield return new int[n]; // all zero: Σ = 0
            var negative = Enumerable.Range(0, n).Select(_ => rng.Next(0, 100)).ToArray();
            negative[rng.Next(n)] = -5; // not a softmax row: the reference decides
            yield return negative;
            yield return VectorCases.Int32(rng, n, 4); // ±2^31 extremes: negative, the reference decides
            yield return VectorCases.Int32(rng, n, 0);
        }
        for (int trial = 0; trial < 3000; trial++)
            yield return Enumerable.Range(0, rng.Next(1, 12)).Select(_ => rng.Next(0, 40)).ToArray();
    }

    [Theory]
    [MemberData(nameof(VectorCases.Widths), MemberType = typeof(VectorCases))]
    public void Codes_EqualReference(VectorWidth width)
    {
        var rng = new Random(21);
        foreach (var e in CodeRows(rng))
        {
            var expected = new byte[e.Length];
            var actual = new byte[e.Length];
            SoftmaxReference.LisCodes(e, expected);
            SoftmaxVector.LisCodes(e, actual, width);
            SpanAssert.Equal(expected, actual, $"LIS [{string.Join(",", e.Take(12))}]");
            SoftmaxReference.LogSqrt2Codes(e, expected);
            SoftmaxVector.LogSqrt2Codes(e, actual, width);
            SpanAssert.Equal(expected, actual, $"log√2 [{string.Join(",", e.Take(12))}]");
        }
    }

    [Theory]
    [MemberData(nameof(VectorCases.Widths), MemberType = typeof(VectorCases))]
    public void Codes_OfRealSoftmaxRows_EqualReference(VectorWidth width)
    {
        var rng = new Random(22);
        var p = IntExpBuilder.IBert(1e-3, 30);
        foreach (int n in VectorCases.Lengths)
            for (int trial = 0; trial < 20; trial++)
            {
                var logits = Enumerable.Range(0, n).Select(_ => rng.Next(-8000, 2000)).ToArray();
                var e = new int[n];
                SoftmaxReference.IBertExpRow(logits, [], p, e);
                var expected = new byte[n];
                var actual = new byte[n];
                SoftmaxReference.LisCodes(e, expected);
                SoftmaxVector.LisCodes(e, actual, width);
                SpanAssert.Equal(expected, actual, $"LIS n={n}");
                SoftmaxReference.LogSqrt2Codes(e, expected);
                SoftmaxVector.LogSqrt2Codes(e, actual, width);
                SpanAssert.Equal(expected, actual, $"log√2 n={n}");
            }
    }
}
