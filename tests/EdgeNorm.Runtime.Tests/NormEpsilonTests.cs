using EdgeNorm.Runtime.Kernels.Reference;
using EdgeNorm.Runtime.Numerics;
using Xunit;

namespace EdgeNorm.Runtime.Tests;

/// <summary>
/// ε of the integer norms (docs/numerics.md §8.4–8.5): added to the spread where the float op has it (LayerNorm:
/// to V = Σy² before the square root; L1Norm: to D), in spread units. The kernel must equal the rule composed by
/// hand, and on rows whose spread is comparable to ε it must follow the float op with ε (and not without it).
/// </summary>
public class NormEpsilonTests
{
    private const double Two30 = 1073741824.0;
    private static readonly int[] Pattern = [-2, -1, 1, 2];

    [Fact]
    public void LayerNorm_EpsilonIsAddedToTheSumOfSquares_ExactRule()
    {
        var rng = new Random(5);
        for (int t = 0; t < 2000; t++)
        {
            int c = rng.Next(1, 64);
            var row = Enumerable.Range(0, c).Select(_ => (short)rng.Next(-40, 40)).ToArray();
            long eps = rng.Next(0, 100_000);
            var dst = new int[c];
            NormalizationReference.LayerNormRow(row, dst, 0, eps);
            int mean = IntMath.RoundedMean(row.Sum(q => (long)q), c);
            ulong v = (ulong)eps;
            foreach (short q in row) v += (ulong)((q - mean) * (long)(q - mean));
            int f = IntNorm.ReciprocalFactor((long)IntMath.Isqrt(v), out int sh);
            for (int i = 0; i < c; i++) Assert.Equal(IntNorm.Normalized(row[i] - mean, f, sh), dst[i]);
        }
    }

    [Fact]
    public void L1Norm_EpsilonIsAddedToD_ExactRule()
    {
        var rng = new Random(6);
        for (int t = 0; t < 2000; t++)
        {
            int c = rng.Next(1, 64);
            var row = Enumerable.Range(0, c).Select(_ => (short)rng.Next(-40, 40)).ToArray();
            long eps = rng.Next(0, 1000);
            var dst = new int[c];
            NormalizationReference.L1NormRow(row, dst, eps);
            int mean = IntMath.RoundedMean(row.Sum(q => (long)q), c);
            long d = eps + row.Sum(q => (long)Math.Abs(q - mean));
            int f = IntNorm.ReciprocalFactor(d, out int sh);
            for (int i = 0; i < c; i++) Assert.Equal(IntNorm.Normalized(row[i] - mean, f, sh), dst[i]);
        }
    }

    [Fact]
    public void LayerNorm_NearConstantRow_FollowsTheFloatOpWithEpsilon()
    {
        // s = 1e-3, ε = 1e-5, C = 32: ε_V = round(C·ε/s²) = 320; the row's Σy² is of the same order.
        const double s = 1e-3, eps = 1e-5;
        const int c = 32;
        long epsV = (long)Math.Floor(c * eps / (s * s) + 0.5);
        short[] row = Enumerable.Range(0, c).Select(i => (short)(100 + Pattern[i % 4])).ToArray(); // integer mean: no μ rounding
        var with = new int[c];
        var without = new int[c];
        NormalizationReference.LayerNormRow(row, with, 0, epsV);
        NormalizationReference.LayerNormRow(row, without, 0);
        double mean = row.Average(q => q * s), var = row.Average(q => (q * s - mean) * (q * s - mean));
        double worstWith = 0, worstWithout = 0;
        for (int i = 0; i < c; i++)
        {
            double expected = (row[i] * s - mean) / Math.Sqrt(var + eps);
            worstWith = Math.Max(worstWith, Math.Abs(with[i] * Math.Sqrt(c) / Two30 - expected));
            worstWithout = Math.Max(worstWithout, Math.Abs(without[i] * Math.Sqrt(c) / Two30 - expected));
        }
        Assert.True(worstWith < 0.01, $"with ε_V: max error {worstWith:E3}");
        Assert.True(worstWithout > 0.2, $"without ε the row should be visibly off (max error {worstWithout:E3})");
    }

    [Fact]
    public void L1Norm_NearConstantRow_FollowsTheFloatOpWithEpsilon()
    {
        // den = k·MAD + ε with k = 1, s = 1e-3, ε = 1e-3, C = 32: ε_D = round(ε·C/(k·s)) = 32.
        const double s = 1e-3, eps = 1e-3;
        const int c = 32;
        long epsD = (long)Math.Floor(eps * c / s + 0.5);
        short[] row = Enumerable.Range(0, c).Select(i => (short)(7 + Pattern[i % 4])).ToArray();
        var with = new int[c];
        NormalizationReference.L1NormRow(row, with, epsD);
        double mean = row.Average(q => q * s), mad = row.Average(q => Math.Abs(q * s - mean));
        for (int i = 0; i < c; i++)
            Assert.Equal((row[i] * s - mean) / (mad + eps), with[i] * c / Two30, 0.01);
    }

    [Fact]
    public void Epsilon_OutsideRange_IsRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => NormalizationReference.L1NormRow(new short[] { 1, 2 }, new int[2], -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => NormalizationReference.LayerNormRow(new short[] { 1, 2 }, new int[2], 0, IntNorm.MaxEpsilon + 1));
    }
}
