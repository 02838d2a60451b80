using EdgeNorm.Runtime.Kernels.Reference;
using EdgeNorm.Runtime.Numerics;
using Xunit;

namespace EdgeNorm.Runtime.Tests;

public class NormalizationTests
{
    private const double Two30 = 1073741824.0;

    [Fact]
    public void L1Norm_HandComputedRow()
    {
        // μ = 12/4 = 3, y = [−2, −1, 0, 3], D = 6 (b = 3), F = ⌊2^32/6⌋ = 715 827 882, ŷ = ⌊y·F/2^2⌋.
        var dst = new int[4];
        NormalizationReference.L1NormRow(new short[] { 1, 2, 3, 6 }, dst);
        SpanAssert.Equal(new[] { -357_913_941, -178_956_971, 0, 536_870_911 }, dst);
        // At scale C/2^30: −4/3, −2/3, 0, 2 = (q − mean)/MAD with MAD = 1.5.
        Assert.Equal(2.0, dst[3] * 4.0 / Two30, 1e-8);
    }

    [Fact]
    public void L1Norm_ConstantRow_GivesZero()
    {
        var dst = new int[3] { 9, 9, 9 };
        NormalizationReference.L1NormRow(new short[] { -7, -7, -7 }, dst);
        SpanAssert.Equal(new int[3], dst);
    }

    [Fact]
    public void L1Norm_MeanRoundsHalfUp()
    {
        // Σ/C = 0.5 → μ = 1; Σ/C = −0.5 → μ = 0: y = [−1, 0] and [−1, 0], D = 1 both times.
        var a = new int[2];
        var b = new int[2];
        NormalizationReference.L1NormRow(new short[] { 0, 1 }, a);
        NormalizationReference.L1NormRow(new short[] { -1, 0 }, b);
        SpanAssert.Equal(new[] { -(1 << 30), 0 }, a);
        SpanAssert.Equal(a, b);
        Assert.Equal(1, IntMath.RoundedMean(1, 2));
        Assert.Equal(0, IntMath.RoundedMean(-1, 2));
        Assert.Equal(-1, IntMath.RoundedMean(-3, 2));
        Assert.Equal(-2, IntMath.RoundedMean(-7, 3)); // −2.33
    }

    [Theory]
    [InlineData(8, 64)]
    [InlineData(100, 192)]
    [InlineData(3000, 768)]
    [InlineData(30000, 1024)]
    public void L1Norm_MatchesFloat64OnRandomRows(int spread, int channels)
    {
        var rng = new Random(spread + channels);
        var row = new short[channels];
        var dst = new int[channels];
        for (int trial = 0; trial < 200; trial++)
        {
            int offset = rng.Next(-spread, spread);
            for (int i = 0; i < channels; i++)
                row[i] = (short)Math.Clamp(offset + Math.Round(spread * SoftmaxTests.Gaussian(rng) / 3), short.MinValue, short.MaxValue);
            NormalizationReference.L1NormRow(row, dst);
            double mean = row.Average(v => (double)v);
            double dReal = row.Sum(v => Math.Abs(v - mean));
            long dInt = row.Sum(v => Math.Abs(v - (long)IntMath.RoundedMean(row.Sum(x => (long)x), channels)));
            if (dReal == 0) continue;
            for (int i = 0; i < channels; i++)
            {
                double t = (row[i] - mean) * channels / dReal;
                double got = dst[i] * (double)channels / Two30;
                // Mean rounding (|δ| ≤ ½): ≤ C(|t| + 1)/(2D); F's floor: ≤ |t|·2^-29; ŷ's floor: C/2^30.
                double bound = channels * (Math.Abs(t) + 1) / (2.0 * dInt) + Math.Abs(t) * Math.ScaleB(1, -29) + channels / Two30 + 1e-12;
                if (Math.Abs(got - t) > bound)
                    Assert.Fail($"spread {spread}, C = {channels}, index {i}: got {got:F6}, float64 {t:F6}, bound {bound:E2}");
            }
        }
    }

    [Fact]
    public void LayerNorm_HandComputedRow()
    {
        // μ = 3, y = [−2, −1, 0, 3], V = 14, σ_q = isqrt(14) = 3 (b = 2), F = ⌊2^31/3⌋ = 715 827 882, ŷ = ⌊y·F/2⌋.
        var dst = new int[4];
        NormalizationReference.LayerNormRow(new short[] { 1, 2, 3, 6 }, dst);
        SpanAssert.Equal(new[] { -715_827_882, -357_913_941, 0, 1_073_741_823 }, dst);
    }

    [Fact]
    public void LayerNorm_ConstantRow_GivesZero()
    {
        var dst = new int[5];
        NormalizationReference.LayerNormRow(new[] { 100_000, 100_000, 100_000, 100_000, 100_000 }, dst, 0);
        SpanAssert.Equal(new int[5], dst);
    }

    [Theory]
    [InlineData(50, 64)]
    [InlineData(1000, 192)]
    [InlineData(8000, 768)]
    [InlineData(30000, 768)]
    public void LayerNorm_MatchesFloat64OnRandomRows(int spread, int channels)
    {
        var rng = new Random(spread * 7 + channels);
        var row = new short[channels];
        var dst = new int[channels];
        for (int trial = 0; trial < 200; trial++)
        {
            int offset = rng.Next(-spread, spread);
            for (int i = 0; i < channels; i++)
                row[i] = (short)Math.Clamp(offset + Math.Round(spread * SoftmaxTests.Gaussian(rng) / 3), short.MinValue, short.MaxValue);
            NormalizationReference.LayerNormRow(row, dst);
            double mean = row.Average(v => (double)v);
            double sigmaSum = Math.Sqrt(row.Sum(v => (v - mean) * (v - mean))); // √(Σ(q − mean)²) = √C·σ
            if (sigmaSum < 1) continue;
            double sigmaQ = Math.Floor(sigmaSum);
            for (int i = 0; i < channels; i++)
            {
                double t = (row[i] - mean) / sigmaSum * Math.Sqrt(channels);
                double got = dst[i] * Math.Sqrt(channels) / Two30;
                // Mean rounding: ½·√C/σ_q (numerator) + C/(8σ_q²)·|t| (variance); isqrt floor: |t|/σ_q;
                // F's floor: |t|·2^-29; ŷ's floor: √C/2^30.
                double bound = 0.5 * Math.Sqrt(channels) / sigmaQ + Math.Abs(t) * (1.0 / sigmaQ + channels / (8 * sigmaQ * sigmaQ) + Math.ScaleB(1, -29))
                    + Math.Sqrt(channels) / Two30 + 1e-12;
                if (Math.Abs(got - t) > bound)
                    Assert.Fail($"spread {spread}, C = {channels}, index {i}: got {got:F6}, float64 {t:F6}, bound {bound:E2}");
            }
        }
    }

    [Theory]
    [InlineData(16, 768, 0)]
    [InlineData(22, 768, 0)]
    [InlineData(16, 1 << 30, 0)]
    [InlineData(32, 768, 5)]
    [InlineData(32, 1, 0)]
    [InlineData(32, 2, 1)]
    [InlineData(31, 4096, 5)]
    public void LayerNorm_MinimumOverflowShift(int bits, int channels, int expected) =>
        Assert.Equal(expected, IntNorm.MinimumOverflowShift(bits, channels));

    [Fact]
    public void LayerNorm_FullInt32Input_WithOverflowShift_DoesNotOverflow()
    {
        var rng = new Random(41);
        const int channels = 768;
        int shift = IntNorm.MinimumOverflowShift(32, channels);
        var row = new int[channels];
        var dst = new int[channels];
        for (int trial = 0; trial < 50; trial++)
        {
            for (int i = 0; i < channels; i++) row[i] = i % 2 == 0 ? rng.Next(int.MinValue, int.MinValue / 2) : rng.Next(int.MaxValue / 2, int.MaxValue);
            NormalizationReference.LayerNormRow(row, dst, shift);
            double mean = row.Average(v => (double)v);
            double sigmaSum = Math.Sqrt(row.Sum(v => (v - mean) * (v - mean)));
            for (int i = 0; i < channels; i++)
            {
                double t = (row[i] - mean) / sigmaSum * Math.Sqrt(channels);
                double got = dst[i] * Math.Sqrt(channels) / Two30;
                Assert.True(Math.Abs(got - t) < 1e-5, $"index {i}: got {got}, float64 {t}");
            }
        }
    }

    [Fact]
    public void LayerNorm_Int16AndInt32OverloadsAgree()
    {
        var rng = new Random(43);
        var row16 = new short[333];
        for (int i = 0; i < row16.Length; i++) row16[i] = (short)rng.Next(short.MinValue, short.MaxValue + 1);
        var a = new int[333];
        var b = new int[333];
        NormalizationReference.LayerNormRow(row16, a);
        NormalizationReference.LayerNormRow(row16.Select(v => (int)v).ToArray(), b, 0);
        SpanAssert.Equal(a, b, "LayerNorm");
        NormalizationReference.L1NormRow(row16, a);
        NormalizationReference.L1NormRow(row16.Select(v => (int)v).ToArray(), b);
        SpanAssert.Equal(a, b, "L1Norm");
    }

    [Fact]
    public void RowNormaliser_Keeps29Bits_Where2Pow31OverSpreadLosesThem()
    {
        // I-BERT's F = ⌊2^31/S⌋ has 31 − bitlen(S) bits: 0.55 % error at S = 12 345 678, and 0 from S = 2^31 on.
        const long s = 12_345_678;
        double ibert = (double)((1L << 31) / s) / 2 / (Two30 / s) - 1;
        Assert.True(Math.Abs(ibert) > 5e-3);
        var rng = new Random(47);
        for (int i = 0; i < 1_000_000; i++)
        {
            long spread = i < 64 ? 1L << (i % 62) : rng.NextInt64(1, 1L << rng.Next(1, 62));
            int factor = IntNorm.ReciprocalFactor(spread, out int shift);
            Assert.InRange(factor, (1 << 29) + 1, 1 << 30);
            double rel = Math.ScaleB(factor, -shift) / (Two30 / spread) - 1;
            if (rel > 0 || rel < -Math.ScaleB(1, -29)) Assert.Fail($"S = {spread}: F = {factor}, shift {shift}, relative error {rel:E3}");
        }
        Assert.Equal(0, IntNorm.ReciprocalFactor(0, out _));
    }
}
