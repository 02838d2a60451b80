using EdgeNorm.Runtime.Kernels.Reference;
using EdgeNorm.Runtime.Numerics;
using EdgeNorm.Runtime.Numerics.Offline;
using Xunit;

namespace EdgeNorm.Runtime.Tests;

public class RequantizerTests
{
    private static readonly DyadicMultiplier Half = DyadicMultiplierBuilder.FromReal(0.5);

    [Theory]
    [InlineData(3, 2)]
    [InlineData(5, 3)]
    [InlineData(-3, -1)]
    [InlineData(-5, -2)]
    [InlineData(1, 1)]
    [InlineData(-1, 0)]
    [InlineData(4, 2)]
    [InlineData(-4, -2)]
    public void Requantize_TiesRoundHalfUp_TestVector2(int x, int expected) =>
        Assert.Equal(expected, Requantizer.Scale(x, Half));

    [Fact]
    public void Requantize_EqualsExactRoundHalfUpOfTheRational()
    {
        // Definition check independent of the shift trick: y is the integer with y − ½ ≤ x·m/2^k < y + ½.
        var rng = new Random(7);
        for (int i = 0; i < 1_000_000; i++)
        {
            int x = i < 16 ? (i % 2 == 0 ? int.MinValue : int.MaxValue) : rng.Next(int.MinValue, int.MaxValue);
            int m = rng.Next(1 << 30, int.MaxValue);
            int k = rng.Next(1, 63);
            long y = Requantizer.Scale(x, m, k);
            Int128 twice = 2 * (Int128)x * m;
            Int128 low = (2 * (Int128)y - 1) << k, high = (2 * (Int128)y + 1) << k;
            if (!(low <= twice && twice < high))
                Assert.Fail($"x = {x}, m = {m}, k = {k}: got {y}, not the half-up rounding of x·m/2^k");
        }
    }

    [Fact]
    public void Requantize_ShiftBeyond62_IsExactlyZero()
    {
        foreach (int x in new[] { int.MinValue, -1, 0, 1, int.MaxValue })
            for (int k = 63; k <= 100; k++)
                Assert.Equal(0, Requantizer.Scale(x, int.MaxValue, k));
    }

    [Fact]
    public void Requantize_One_IsIdentity()
    {
        foreach (int x in new[] { int.MinValue, int.MinValue + 1, -129, -1, 0, 1, 127, int.MaxValue })
            Assert.Equal(x, Requantizer.Scale(x, DyadicMultiplier.One));
    }

    [Theory]
    [InlineData(127, 127)]
    [InlineData(128, 127)]
    [InlineData(int.MaxValue, 127)]
    [InlineData(-128, -128)]
    [InlineData(-129, -128)]
    [InlineData(int.MinValue, -128)]
    public void Requantize_SaturatesToInt8ExactlyAtTheBounds(int x, sbyte expected) =>
        Assert.Equal(expected, Requantizer.ToInt8(x, DyadicMultiplier.One));

    [Theory]
    [InlineData(32767, 32767)]
    [InlineData(32768, 32767)]
    [InlineData(-32768, -32768)]
    [InlineData(-32769, -32768)]
    public void Requantize_SaturatesToInt16ExactlyAtTheBounds(int x, short expected) =>
        Assert.Equal(expected, Requantizer.ToInt16(x, DyadicMultiplier.One));

    [Theory]
    [InlineData(-10, 10, 0)]
    [InlineData(-11, 10, 0)]
    [InlineData(245, 10, 255)]
    [InlineData(246, 10, 255)]
    [InlineData(0, 10, 10)]
    public void Requantize_SaturatesToUInt8WithZeroPointExactlyAtTheBounds(int x, int zeroPoint, byte expected) =>
        Assert.Equal(expected, Requantizer.ToUInt8(x, DyadicMultiplier.One, zeroPoint));

    [Fact]
    public void Requantize_Int8ZeroPointIsAddedAfterRounding()
    {
        // 5·½ = 2.5 → 3, then + zero point −10 → −7; saturation happens after the offset.
        Assert.Equal(-7, Requantizer.ToInt8(5, Half, -10));
        Assert.Equal(127, Requantizer.ToInt8(250, Half, 10));
    }

    [Fact]
    public void PerTensor_MatchesTheScalarRule()
    {
        var rng = new Random(3);
        var acc = new int[1001];
        for (int i = 0; i < acc.Length; i++) acc[i] = rng.Next(-100_000, 100_000);
        var m = DyadicMultiplierBuilder.FromReal(0.00173);
        var s8 = new sbyte[acc.Length];
        var u8 = new byte[acc.Length];
        var s16 = new short[acc.Length];
        RequantizeReference.PerTensor(acc, s8, m, zeroPoint: 3);
        RequantizeReference.PerTensor(acc, u8, m, zeroPoint: 128);
        RequantizeReference.PerTensor(acc, s16, DyadicMultiplierBuilder.FromReal(0.37));
        SpanAssert.Equal(acc.Select(a => Requantizer.ToInt8(a, m, 3)).ToArray(), s8, "int8");
        SpanAssert.Equal(acc.Select(a => Requantizer.ToUInt8(a, m, 128)).ToArray(), u8, "uint8");
        SpanAssert.Equal(acc.Select(a => Requantizer.ToInt16(a, DyadicMultiplierBuilder.FromReal(0.37))).ToArray(), s16, "int16");
    }

    [Fact]
    public void PerChannel_UsesChannelIndexModuloC_AndItsOffset()
    {
        int[] acc = [100, 100, 100, -7, -7, -7];
        DyadicMultiplier[] m = [DyadicMultiplier.One, Half, DyadicMultiplierBuilder.FromReal(0.25)];
        var dst = new sbyte[6];
        RequantizeReference.PerChannel(acc, dst, m, [0, 1, -2]);
        // −7·½ = −3.5 → −3 (half up); −7·¼ = −1.75 → −2.
        SpanAssert.Equal(new sbyte[] { 100, 51, 23, -7, -2, -4 }, dst);

        var dst16 = new short[6];
        RequantizeReference.PerChannel(acc, dst16, m, []);
        SpanAssert.Equal(new short[] { 100, 50, 25, -7, -3, -2 }, dst16);
    }

    [Fact]
    public void PerChannel_RejectsRowsThatAreNotWholeChannels() =>
        Assert.Throws<ArgumentException>(() => RequantizeReference.PerChannel(new int[5], new sbyte[5], new DyadicMultiplier[2], []));

    [Fact]
    public void ResidualAdd_RoundsEachOperandThenAddsAndSaturates()
    {
        // a at 0.5× the output scale, b at 0.25×: 3·½ = 1.5 → 2 and 3·¼ = 0.75 → 1, so 3 (one rounding of 2.25 would give 2).
        var mb = DyadicMultiplierBuilder.FromReal(0.25);
        var dst = new short[3];
        RequantizeReference.ResidualAdd([3, 32767, -32768], Half, [3, 32767, -32768], mb, dst);
        SpanAssert.Equal(new short[] { 3, 24576, -24576 }, dst);

        var big = DyadicMultiplierBuilder.FromReal(2.0);
        RequantizeReference.ResidualAdd([20000, -20000, 1], big, [1, -1, 1], DyadicMultiplier.One, dst);
        SpanAssert.Equal(new short[] { 32767, -32768, 3 }, dst);
    }
}
