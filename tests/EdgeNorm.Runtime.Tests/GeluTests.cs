using EdgeNorm.Runtime.Kernels.Reference;
using EdgeNorm.Runtime.Numerics;
using EdgeNorm.Runtime.Numerics.Offline;
using Xunit;

namespace EdgeNorm.Runtime.Tests;

public class GeluTests
{
    private static double Gelu(double x) => RealFunctions.Gelu(x);

    [Theory]
    [InlineData(0.0, 0.0)]
    [InlineData(0.5, 0.5204998778130465)]
    [InlineData(1.0, 0.8427007929497149)]
    [InlineData(2.0, 0.9953222650189527)]
    [InlineData(3.0, 0.9999779095030014)]
    [InlineData(-1.5, -0.9661051464753108)]
    [InlineData(5.9, 0.9999999999999999)]
    public void Erf_MatchesKnownValues(double x, double expected) => Assert.Equal(expected, RealFunctions.Erf(x), 1e-15);

    private static double MaxIGeluError(IntGeluBuild build, double scale, double range = 4)
    {
        int m = (int)(range / scale);
        double worst = 0;
        for (int q = -m; q <= m; q++)
            worst = Math.Max(worst, Math.Abs(IntGelu.IBert(q, build.Parameters) * build.OutputScale - Gelu(q * scale)));
        return worst;
    }

    [Fact]
    public void IGelu_TestVector9_IntegerPathWithin1_9e2_AtScale2Pow14()
    {
        double s = Math.ScaleB(1, -14);
        var build = IntGeluBuilder.Build(s, maxAbsInput: 4 << 14);
        double err = MaxIGeluError(build, s);
        Assert.True(err <= 1.9e-2, $"max |i-GELU − GELU| on [−4, 4] = {err:E3}");
    }

    [Fact]
    public void IGelu_FixedPostShift14_FailsAtScale2Pow6_ChosenPostShiftFixesIt()
    {
        double s = Math.ScaleB(1, -6);
        var fixed14 = IntGeluBuilder.Build(s, maxAbsInput: 256, postShift: 14);
        var chosen = IntGeluBuilder.Build(s, maxAbsInput: 256);
        double bad = MaxIGeluError(fixed14, s), good = MaxIGeluError(chosen, s);
        Assert.True(bad > 1.0, $"n = 14 at s = 2^-6 should leave ~1 bit of erf (One = {fixed14.Parameters.One}), error {bad:E3}");
        Assert.Equal(0, chosen.Parameters.PostShift);
        Assert.True(good <= 1.9e-2, $"chosen n = {chosen.Parameters.PostShift}: error {good:E3}");
    }

    [Theory]
    [InlineData(-14)]
    [InlineData(-10)]
    [InlineData(-8)]
    public void IGelu_ZeroIsZero_MonotoneOnNonNegative_AndNoSaturationInRange(int scaleExponent)
    {
        double s = Math.ScaleB(1, scaleExponent);
        int m = (int)(8 / s);
        var build = IntGeluBuilder.Build(s, maxAbsInput: m);
        Assert.Equal(0, IntGelu.IBert(0, build.Parameters));
        int previous = int.MinValue;
        for (int q = 0; q <= m; q++)
        {
            int y = IntGelu.IBert(q, build.Parameters);
            if (y < previous) Assert.Fail($"s = 2^{scaleExponent}: i-GELU decreases at q = {q}: {previous} → {y}");
            if (y == int.MaxValue) Assert.Fail($"s = 2^{scaleExponent}: saturated at q = {q}");
            previous = y;
        }
        Assert.True(MaxIGeluError(build, s, 8) <= 1.9e-2);
    }

    [Fact]
    public void IGelu_SpanKernelMatchesScalar()
    {
        var build = IntGeluBuilder.Build(Math.ScaleB(1, -10), 1 << 14);
        int[] src = [-20000, -1024, -1, 0, 1, 1024, 4096, 20000];
        var dst = new int[src.Length];
        GeluReference.IBert(src, dst, build.Parameters);
        SpanAssert.Equal(src.Select(q => IntGelu.IBert(q, build.Parameters)).ToArray(), dst);
    }

    [Theory]
    [InlineData(0.1)]
    [InlineData(0.05)]
    [InlineData(4.0 / 127)]
    [InlineData(0.01)]
    public void ShiftGelu_ExactDivision_Within4_5e2(double s)
    {
        var build = IntGeluBuilder.BuildShift(s);
        Assert.Equal(0, IntGelu.Shift(0, build.Parameters));
        double worst = 0;
        for (int q = -128; q <= 127; q++)
        {
            if (Math.Abs(q * s) > 4) continue;
            worst = Math.Max(worst, Math.Abs(IntGelu.Shift((sbyte)q, build.Parameters) * build.OutputScale - Gelu(q * s)));
        }
        Assert.True(worst <= 4.5e-2, $"s = {s}: max |ShiftGELU − GELU| = {worst:E3}");
        var src = Enumerable.Range(-128, 256).Select(q => (sbyte)q).ToArray();
        var dst = new int[256];
        GeluReference.Shift(src, dst, build.Parameters);
        SpanAssert.Equal(src.Select(q => IntGelu.Shift(q, build.Parameters)).ToArray(), dst);
    }

    [Fact]
    public void Lut_GeluTable_IsTheHalfUpRoundingOfGeluAtEveryCode()
    {
        double sIn = 8.0 / 127, sOut = 8.0 / 127;
        sbyte[] table = LookupTableBuilder.BuildInt8(RealFunctions.Gelu, sIn, 0, sOut, 0);
        Assert.Equal(0, table[128]); // GELU(0) = 0
        for (int q = -128; q <= 127; q++)
        {
            double real = Gelu(sIn * q) / sOut;
            int entry = table[q + 128];
            // Exact: no int8 code is closer to the real value (ties resolved upwards).
            Assert.True(Math.Abs(entry - real) <= 0.5 + 1e-12 || entry is -128 or 127, $"code {q}: entry {entry}, real {real:F4}");
            if (q > 0) Assert.True(entry >= table[q + 127], $"not monotone at code {q}");
        }
    }

    [Fact]
    public void Lut_AsymmetricSigmoidAndTanhTables_ClampAndUseZeroPoints()
    {
        sbyte[] sigmoid = LookupTableBuilder.BuildInt8(RealFunctions.Sigmoid, 0.05, 10, 1.0 / 255, -128);
        Assert.Equal((sbyte)Math.Clamp(Math.Floor(RealFunctions.Sigmoid(0.05 * (0 - 10)) * 255 + 0.5) - 128, -128, 127), sigmoid[128]);
        Assert.Equal(-128 + 128, sigmoid[10 + 128]); // σ(0) = ½ → 127.5 → 128 − 128 = 0
        sbyte[] tanh = LookupTableBuilder.BuildInt8(RealFunctions.Tanh, 0.05, 0, 1.0 / 127, 0);
        Assert.Equal(127, tanh[255]);
        Assert.Equal(-127, tanh[0]); // tanh(−6.4)·127 = −126.9999 → −127
        var src = new sbyte[] { -128, -1, 0, 1, 127 };
        var dst = new sbyte[5];
        LookupTableReference.Apply(src, tanh, dst);
        SpanAssert.Equal(src.Select(q => tanh[q + 128]).ToArray(), dst);
    }

    [Fact]
    public void Lut_RejectsWrongLengthTableAndNaN()
    {
        Assert.Throws<ArgumentException>(() => LookupTableReference.Apply(new sbyte[1], new sbyte[255], new sbyte[1]));
        Assert.Throws<ArgumentException>(() => LookupTableBuilder.BuildInt8(_ => double.NaN, 1, 0, 1, 0));
    }
}
