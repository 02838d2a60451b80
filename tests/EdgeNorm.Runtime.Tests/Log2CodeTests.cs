using System.Numerics;
using EdgeNorm.Runtime.Kernels.Reference;
using EdgeNorm.Runtime.Numerics;
using EdgeNorm.Runtime.Numerics.Offline;
using Xunit;

namespace EdgeNorm.Runtime.Tests;

public class Log2CodeTests
{
    /// <summary>FQ-ViT's definition, literally: R = round_half_even(Σ/E), then log_round(R); ≥ 16 or E = 0 → zero.</summary>
    private static byte LisByDivision(long e, long sum)
    {
        if (e == 0) return Log2Codes.Zero;
        long r = sum / e, rem = sum % e;
        if (2 * rem > e || (2 * rem == e && (r & 1) == 1)) r++;
        int k = 63 - BitOperations.LeadingZeroCount((ulong)r);
        int code = k + (k > 0 && r - (1L << k) >= 1L << (k - 1) ? 1 : 0);
        return code >= 16 ? Log2Codes.Zero : (byte)code;
    }

    [Theory]
    [InlineData(1, 0)]
    [InlineData(2, 1)]
    [InlineData(3, 2)]
    [InlineData(5, 2)]
    [InlineData(6, 3)]
    [InlineData(11, 3)]
    [InlineData(12, 4)]
    [InlineData(23, 4)]
    [InlineData(24, 5)]
    [InlineData(47, 5)]
    [InlineData(48, 6)]
    [InlineData(49_151, 15)]
    public void Lis_LogRoundTable_TestVector8(long r, int code) => Assert.Equal(code, Log2Codes.Lis(1, r));

    [Fact]
    public void Lis_TestVector8_ExpRow()
    {
        int[] e = [1000, 500, 250, 125, 100, 60, 30, 1];
        var codes = new byte[e.Length];
        SoftmaxReference.LisCodes(e, codes);
        SpanAssert.Equal(new byte[] { 1, 2, 3, 4, 4, 5, 6, 11 }, codes);
    }

    [Fact]
    public void Lis_UnclampedCodeAtLeast16_AndZeroExp_AreZeroProbability()
    {
        Assert.Equal(Log2Codes.Zero, Log2Codes.Lis(1, 49_152)); // R = 1.5·2^15 → code 16
        Assert.Equal(Log2Codes.Zero, Log2Codes.Lis(1, 1L << 40));
        Assert.Equal(Log2Codes.Zero, Log2Codes.Lis(0, 1000));
    }

    [Fact]
    public void Lis_DivisionFreeEqualsReference_ExhaustiveForSumsUpTo3000()
    {
        for (long sum = 1; sum <= 3000; sum++)
            for (long e = 0; e <= sum; e++)
                if (Log2Codes.Lis(e, sum) != LisByDivision(e, sum))
                    Assert.Fail($"e = {e}, Σ = {sum}: division-free {Log2Codes.Lis(e, sum)}, reference {LisByDivision(e, sum)}");
    }

    [Fact]
    public void Lis_DivisionFreeEqualsReference_RandomLargeSumsAndBoundaries()
    {
        var rng = new Random(17);
        for (int i = 0; i < 2_000_000; i++)
        {
            long sum = rng.NextInt64(1, 1L << rng.Next(1, 61));
            long e;
            if (i % 2 == 0)
            {
                e = rng.NextInt64(1, sum + 1) >> rng.Next(0, 20);
            }
            else
            {
                // Around a rounding boundary: Σ/E ≈ 3·2^(c−1) − ½ for a random code c.
                long threshold2 = 3L << rng.Next(0, 18); // 2·(3·2^(c−1)) = 3·2^c
                e = Math.Max(1, rng.NextInt64(1, 1L << 30) >> rng.Next(0, 28));
                sum = Math.Max(e, (threshold2 - 1) * e / 2 + rng.Next(-2, 3));
            }
            if (Log2Codes.Lis(e, sum) != LisByDivision(e, sum))
                Assert.Fail($"e = {e}, Σ = {sum}: division-free {Log2Codes.Lis(e, sum)}, reference {LisByDivision(e, sum)}");
        }
    }

    [Fact]
    public void LisWeightedSum_EqualsFloatSumOfDequantisedCodesExactly()
    {
        var rng = new Random(19);
        for (int trial = 0; trial < 500; trial++)
        {
            int n = rng.Next(1, 200), d = rng.Next(1, 17);
            var codes = new byte[n];
            var v = new sbyte[n * d];
            for (int i = 0; i < n; i++) codes[i] = (byte)rng.Next(0, 17);
            rng.NextBytes((Span<byte>)System.Runtime.InteropServices.MemoryMarshal.AsBytes(v.AsSpan()));
            var acc = new int[d];
            AttentionReference.LisWeightedSum(codes, v, acc);
            for (int j = 0; j < d; j++)
            {
                double exact = 0;
                for (int i = 0; i < n; i++)
                    if (codes[i] <= 15) exact += Math.ScaleB(1, -codes[i]) * v[i * d + j];
                if (acc[j] * Math.ScaleB(1, -15) != exact)
                    Assert.Fail($"trial {trial}, column {j}: {acc[j]}·2^-15 ≠ {exact:R}");
            }
        }
    }

    [Fact]
    public void LisWeightedSum_SoftmaxRowOfAnyLength_StaysBelow1_5Pow2Pow22()
    {
        // Σ 2^-code < 1.5·Σp for codes of a softmax row, so |acc| < 128·2^15·1.5 whatever N is.
        var rng = new Random(23);
        var p = IntExpBuilder.IBert(Math.ScaleB(1, -10), 30);
        foreach (int n in new[] { 1, 2, 7, 512, 4096, 20000 })
        {
            var logits = new int[n];
            for (int i = 0; i < n; i++) logits[i] = rng.Next(-3000, 1) / (i % 3 + 1); // many near the max
            var e = new int[n];
            SoftmaxReference.IBertExpRow(logits, [], p, e);
            var codes = new byte[n];
            SoftmaxReference.LisCodes(e, codes);
            int s = Log2Codes.DequantizedSumLis(codes);
            Assert.True(s < 3 << 14, $"N = {n}: S = {s} ≥ 1.5·2^15");
            var v = Enumerable.Repeat((sbyte)-128, n).ToArray();
            var acc = new int[1];
            AttentionReference.LisWeightedSum(codes, v, acc);
            Assert.Equal(-128L * s, acc[0]);

            // log√2: Σ 2^(−code/2) < 2^(1/4)·(1 + 2^-16)·Σp, so each of the two sums stays below 1.19·2^22.
            SoftmaxReference.LogSqrt2Codes(e, codes);
            var even = new int[1];
            var odd = new int[1];
            AttentionReference.LogSqrt2WeightedSums(codes, v, even, odd);
            double total = (Math.Abs(even[0]) + Math.Sqrt(2) * Math.Abs(odd[0])) / 128.0 / (1 << 15);
            Assert.True(total < 1.1893, $"N = {n}: Σ 2^(−code/2) = {total}");
        }
    }

    private static double SumRatio(long e, long sum) => (double)sum / e;

    [Theory]
    [InlineData(1000, 1000, 0)]
    [InlineData(1000, 1180, 0)]   // 2·log2(1.18) = 0.478
    [InlineData(1000, 1190, 1)]   // 0.502
    [InlineData(1000, 1414, 1)]
    [InlineData(1000, 1681, 1)]   // 1.4986
    [InlineData(1000, 1682, 2)]   // 1.5003
    [InlineData(1000, 2000, 2)]
    [InlineData(1000, 2500, 3)]
    [InlineData(1000, 3000, 3)]
    [InlineData(1, 215, 15)]       // 2·log2(215) = 15.497
    [InlineData(1, 216, 16)]       // 15.51 → 16 → zero
    public void LogSqrt2_HalfStepCodes(long e, long sum, int expected) =>
        Assert.Equal(expected >= 16 ? Log2Codes.Zero : expected, Log2Codes.LogSqrt2(e, sum));

    [Fact]
    public void LogSqrt2_EqualsRoundOfTwiceLog2_AwayFromBoundaries()
    {
        var rng = new Random(29);
        for (int i = 0; i < 1_000_000; i++)
        {
            long sum = rng.NextInt64(1, 1L << rng.Next(1, 50));
            long e = Math.Max(1, rng.NextInt64(1, sum + 1) >> rng.Next(0, 9));
            double twiceLog = 2 * Math.Log2(SumRatio(e, sum));
            double frac = twiceLog - Math.Floor(twiceLog);
            if (Math.Abs(frac - 0.5) < 1e-4) continue; // within the 16-bit boundary approximation
            int expected = (int)Math.Floor(twiceLog + 0.5);
            byte code = Log2Codes.LogSqrt2(e, sum);
            byte want = expected >= 16 ? Log2Codes.Zero : (byte)expected;
            if (code != want) Assert.Fail($"e = {e}, Σ = {sum}: code {code}, round(2·log2 Σ/E) = {expected}");
        }
    }

    [Fact]
    public void LogSqrt2WeightedSums_EvenPlusSqrt2Odd_EqualsDequantisedSum()
    {
        var rng = new Random(31);
        for (int trial = 0; trial < 300; trial++)
        {
            int n = rng.Next(1, 100), d = rng.Next(1, 9);
            var codes = new byte[n];
            var v = new sbyte[n * d];
            for (int i = 0; i < n; i++) codes[i] = (byte)rng.Next(0, 17);
            for (int i = 0; i < v.Length; i++) v[i] = (sbyte)rng.Next(-128, 128);
            var even = new int[d];
            var odd = new int[d];
            AttentionReference.LogSqrt2WeightedSums(codes, v, even, odd);
            for (int j = 0; j < d; j++)
            {
                double exact = 0;
                for (int i = 0; i < n; i++)
                    if (codes[i] <= 15) exact += Math.Pow(2, -codes[i] / 2.0) * v[i * d + j];
                double got = (even[j] + Math.Sqrt(2) * odd[j]) * Math.ScaleB(1, -15);
                Assert.Equal(exact, got, 1e-9);
            }
        }
    }

    [Fact]
    public void LogSqrt2_OddSumFoldsSqrt2IntoItsRequantMultiplier()
    {
        // out = Scale(even; m) + Scale(odd; m·√2): the requantised A·V of a log√2 row.
        var m = DyadicMultiplierBuilder.FromReal(0.01);
        var mOdd = DyadicMultiplierBuilder.FromReal(0.01 * Math.Sqrt(2));
        long q = Requantizer.AddScaled(100_000, m, 50_000, mOdd);
        Assert.Equal(Math.Round(1000.0) + Math.Round(50_000 * 0.01 * Math.Sqrt(2)), q);
    }

    [Fact]
    public void Renormalize_DividesBySumOfDequantisedCodes()
    {
        // Codes 1, 2, 2 dequantise to ½ + ¼ + ¼ = 1: nothing to do. Codes 1, 3 → ⅝: scaled by 8/5.
        Assert.Equal(1 << 15, Log2Codes.DequantizedSumLis([1, 2, 2, Log2Codes.Zero]));
        int s = Log2Codes.DequantizedSumLis([1, 3]);
        Assert.Equal(5 << 12, s);
        var acc = new[] { 5 << 12, -(5 << 12), 12_345, 0 };
        AttentionReference.Renormalize(acc, s);
        Assert.Equal(1 << 15, acc[0]);
        Assert.Equal(-(1 << 15), acc[1]);
        Assert.Equal((int)Math.Floor(12_345 * 8.0 / 5 + 0.5), acc[2]);

        // log√2: codes 0 and 1 → 1 + 1/√2.
        int sq = Log2Codes.DequantizedSumLogSqrt2([0, 1]);
        Assert.Equal((1 << 15) + (int)Math.Floor(Math.ScaleB(1, 14) * 92682 / 65536.0 + 0.5), sq);
        Assert.Equal(0, Log2Codes.RenormalizationFactor(0));
        Assert.Equal(int.MaxValue, Log2Codes.RenormalizationFactor(1));
    }
}
