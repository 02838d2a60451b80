using EdgeNorm.Runtime.Numerics;
using EdgeNorm.Runtime.Numerics.Offline;
using Xunit;

namespace EdgeNorm.Runtime.Tests;

public class DyadicMultiplierTests
{
    public static TheoryData<double, int, int> Vector1 => new()
    {
        { 0.0123, 1_690_499_128, 37 },
        { 1.0 / 3.0, 1_431_655_765, 32 },
        { 0.5, 1 << 30, 31 },
        { 1.0 - Math.ScaleB(1, -40), 1 << 30, 30 },
        { 1.0, 1 << 30, 30 },
        { 32768.0, 1 << 30, 15 },
        { 3.0, 1_610_612_736, 29 },
    };

    [Theory]
    [MemberData(nameof(Vector1))]
    public void FromReal_TestVector1(double r, int m, int k)
    {
        var d = DyadicMultiplierBuilder.FromReal(r);
        Assert.Equal((m, k), (d.Multiplier, d.Shift));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-10)]
    [InlineData(10)]
    [InlineData(29)]
    public void Requantize_MultiplierRoundingTo2Pow31_Renormalises(int exponent)
    {
        // f·2^31 rounds up to 2^31 just below a power of two: m must become 2^30 with k − 1, never 2^31.
        double r = Math.ScaleB(1.0 - Math.ScaleB(1, -40), exponent);
        var d = DyadicMultiplierBuilder.FromReal(r);
        Assert.Equal(1 << 30, d.Multiplier);
        Assert.Equal(30 - exponent, d.Shift);
    }

    [Fact]
    public void FromReal_RelativeErrorAtMost2Pow31_MantissaIn2Pow30To2Pow31()
    {
        var rng = new Random(1234);
        for (int i = 0; i < 100_000; i++)
        {
            double r = Math.Pow(2, -32 + rng.NextDouble() * 61.999);
            var d = DyadicMultiplierBuilder.FromReal(r);
            Assert.InRange(d.Multiplier, 1 << 30, int.MaxValue);
            double rel = Math.Abs(DyadicMultiplierBuilder.ToReal(d) - r) / r;
            if (rel > Math.ScaleB(1, -31)) Assert.Fail($"r = {r:R}: {d} has relative error {rel:E3} > 2^-31");
        }
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    [InlineData(0.0)]
    [InlineData(-0.5)]
    [InlineData(1e-12)]         // < 2^-32
    [InlineData(1073741824.0)]  // 2^30
    [InlineData(4e9)]
    public void FromReal_RejectsNonPositiveNonFiniteAndOutOfRange(double r) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => DyadicMultiplierBuilder.FromReal(r));

    [Fact]
    public void FromReal_RangeEnds_AreAccepted()
    {
        Assert.Equal(new DyadicMultiplier(1 << 30, 62), DyadicMultiplierBuilder.FromReal(Math.ScaleB(1, -32)));
        var top = DyadicMultiplierBuilder.FromReal(Math.ScaleB(1.0 - Math.ScaleB(1, -31), 30));
        Assert.Equal(new DyadicMultiplier(int.MaxValue, 1), top);
        // Just below 2^30 the mantissa rounds to 2^31 and the renormalised shift would be 0: rejected.
        Assert.Throws<ArgumentOutOfRangeException>(() => DyadicMultiplierBuilder.FromReal(Math.BitDecrement(1073741824.0)));
    }

    [Theory]
    [InlineData((1 << 30) - 1, 31)]
    [InlineData(-5, 31)]
    [InlineData(1 << 30, 0)]
    [InlineData(1 << 30, 63)]
    public void Constructor_RejectsMantissaOrShiftOutOfRange(int m, int k) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new DyadicMultiplier(m, k));

    [Fact]
    public void Default_IsNotValid()
    {
        Assert.False(default(DyadicMultiplier).IsValid);
        Assert.True(DyadicMultiplier.One.IsValid);
    }
}
