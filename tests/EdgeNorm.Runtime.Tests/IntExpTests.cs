using EdgeNorm.Runtime.Numerics;
using EdgeNorm.Runtime.Numerics.Offline;
using Xunit;

namespace EdgeNorm.Runtime.Tests;

public class IntExpTests
{
    private static readonly double S10 = Math.ScaleB(1, -10);

    [Fact]
    public void IBertExp_TestVector4_ParametersAtScale2Pow10()
    {
        var p = IntExpBuilder.IBert(S10, 30);
        Assert.Equal((-710, 2772, 2_927_744), (p.X0, p.Bq, p.Cq));
    }

    [Theory]
    [InlineData(0, 0, 0, 2_927_744, 1.000000)]
    [InlineData(-1024, 1, -314, 2_155_932, 0.368190)]
    [InlineData(-4096, 5, -546, 1_712_348, 0.018277)]
    public void IBertExp_TestVector4_Decomposition(int q, int z, int r, int polynomial, double value)
    {
        var p = IntExpBuilder.IBert(S10, 30);
        int poly = IntExp.IBertPolynomial(q, p, out int gotZ, out int gotR);
        Assert.Equal((z, r), (gotZ, gotR));
        Assert.Equal(polynomial, poly);
        double real = poly * IntExpBuilder.IBertPolynomialScale(S10) * Math.ScaleB(1, -gotZ);
        Assert.Equal(value, real, 5e-7);
        // The fused output at 2^-30 is the same value rounded once.
        Assert.Equal(value, IntExp.IBert(q, p) * Math.ScaleB(1, -30), 5e-7);
    }

    [Theory]
    [InlineData(-10, 30)]
    [InlineData(-10, 15)]
    [InlineData(-12, 30)]
    [InlineData(-14, 15)]
    public void IBertExp_WithinTwoThousandthsOfExp_OnMinus8To0(int scaleExponent, int outputBits)
    {
        double s = Math.ScaleB(1, scaleExponent);
        var p = IntExpBuilder.IBert(s, outputBits);
        double bound = 2e-3 + Math.ScaleB(1, -outputBits - 1); // polynomial (1.92e-3) + output rounding
        int previous = -1;
        for (int q = (int)(-8 / s); q <= 0; q++)
        {
            int e = IntExp.IBert(q, p);
            double err = Math.Abs(e * Math.ScaleB(1, -outputBits) - Math.Exp(q * s));
            if (err > bound) Assert.Fail($"s = 2^{scaleExponent}, q = {q}: |i-exp − e^x| = {err:E3} > {bound:E3}");
            if (e < previous) Assert.Fail($"i-exp decreases at q = {q}: {previous} → {e}");
            previous = e;
        }
    }

    [Fact]
    public void IBertExp_ClipsAt30Octaves_AndRoundsToZeroThere()
    {
        var p = IntExpBuilder.IBert(S10, 15);
        IntExp.IBertPolynomial(int.MinValue, p, out int z, out int r);
        Assert.Equal((30, 0), (z, r));
        Assert.Equal(0, IntExp.IBert(int.MinValue, p));
        Assert.Equal(0, IntExp.IBert(-100_000, p));
    }

    [Fact]
    public void IBertExp_RejectsScalesWhoseConstantOverflowsInt32() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => IntExpBuilder.IBert(Math.ScaleB(1, -16), 15));

    [Theory]
    [InlineData(0, 524_288)]
    [InlineData(-8, 344_064)]
    [InlineData(-16, 204_800)]
    [InlineData(-128, 192)]
    public void ShiftExp_TestVector5_Scale1Over16N15(int q, int expected)
    {
        var p = IntExpBuilder.Shift(1.0 / 16, 15);
        Assert.Equal(-16, p.X0);
        Assert.Equal(expected, IntExp.Shift(q, p));
    }

    [Theory]
    [InlineData(-10, 0.092)]   // the continuous shift-exp's 9.2 % plus < 0.1 % from the floors
    [InlineData(-6, 0.093)]
    [InlineData(-4, 0.117)]    // at s = 1/16 the floors of x>>1 and x>>4 add up to ~2.5 %
    public void ShiftExp_RelativeErrorBounded_WhereExpAbove1e3(int scaleExponent, double bound)
    {
        double s = Math.ScaleB(1, scaleExponent);
        var p = IntExpBuilder.Shift(s, 15);
        double unit = s / Math.ScaleB(1, 15);
        for (int q = (int)(-8 / s); q <= 0; q++)
        {
            double exact = Math.Exp(q * s);
            if (exact < 1e-3) continue;
            double rel = Math.Abs(IntExp.Shift(q, p) * unit - exact) / exact;
            if (rel > bound) Assert.Fail($"s = 2^{scaleExponent}, q = {q}: relative error {rel:P2} > {bound:P1}");
        }
    }
}
