using EdgeNorm.Runtime.Kernels.Reference;
using EdgeNorm.Runtime.Numerics;
using EdgeNorm.Runtime.Numerics.Offline;
using Xunit;

namespace EdgeNorm.Runtime.Tests;

/// <summary>
/// The three <c>--gelu</c> forms as the quantiser emits them for an int8 GELU input (docs/numerics.md §7.4):
/// int8 → (table | i-GELU → requant | ShiftGELU → requant) → int8, against float GELU of the dequantised input,
/// on every int8 code and on random inputs. Bounds are in output LSBs (s_y = max GELU/127).
/// </summary>
public class GeluFormsTests
{
    public static TheoryData<double> Scales => new() { 0.01, 4.0 / 127, 0.05, 0.1 };

    /// <summary>Max |int8 output − GELU(s·q)/s_y| in output LSBs over all 256 codes, per form.</summary>
    private static (double Lut, double IGelu, double Shift) Errors(double s)
    {
        double sy = RealFunctions.Gelu(127 * s) / 127;
        var codes = Enumerable.Range(-128, 256).Select(q => (sbyte)q).ToArray();
        var lut = new sbyte[256];
        LookupTableReference.Apply(codes, LookupTableBuilder.BuildInt8(RealFunctions.Gelu, s, 0, sy, 0), lut);
        var ib = IntGeluBuilder.Build(s, 128);
        var sb = IntGeluBuilder.BuildShift(s);
        var g = new int[256];
        var igelu = new sbyte[256];
        var shift = new sbyte[256];
        GeluReference.IBert(codes, g, ib.Parameters);
        RequantizeReference.PerTensor(g, igelu, DyadicMultiplierBuilder.FromReal(ib.OutputScale / sy));
        GeluReference.Shift(codes, g, sb.Parameters);
        RequantizeReference.PerTensor(g, shift, DyadicMultiplierBuilder.FromReal(sb.OutputScale / sy));
        double e1 = 0, e2 = 0, e3 = 0;
        for (int i = 0; i < 256; i++)
        {
            double exact = RealFunctions.Gelu(codes[i] * s) / sy;
            e1 = Math.Max(e1, Math.Abs(lut[i] - exact));
            e2 = Math.Max(e2, Math.Abs(igelu[i] - exact));
            e3 = Math.Max(e3, Math.Abs(shift[i] - exact));
        }
        return (e1, e2, e3);
    }

    [Theory]
    [MemberData(nameof(Scales))]
    public void Int8GeluForms_ErrorBoundsInOutputLsb(double s)
    {
        var (lut, igelu, shift) = Errors(s);
        double sy = RealFunctions.Gelu(127 * s) / 127;
        // The table is the nearest code (≤ ½ LSB, the best possible); i-GELU adds its 1.82e-2 polynomial error plus
        // the floors of its integer constants at coarse scales (2.42e-2 measured at s = 0.1), ShiftGELU its 4.5e-2
        // (numerics.md §7.1–7.2, 7.4), each in output LSBs plus ½ for the final rounding.
        Assert.True(lut <= 0.5 + 1e-9, $"LUT {lut:F3} LSB");
        Assert.True(igelu <= 0.5 + 2.5e-2 / sy + 1e-6, $"i-GELU {igelu:F3} LSB (s_y = {sy:E3})");
        Assert.True(shift <= 0.5 + 4.5e-2 / sy + 1e-6, $"ShiftGELU {shift:F3} LSB (s_y = {sy:E3})");
        Assert.True(lut <= igelu && lut <= shift, "the exact table is never worse than an approximation");
    }

    [Fact]
    public void Int8GeluForms_MeasuredAtTheDigitsScale()
    {
        // s = 4/127 (|x| ≤ 4): LUT 0.5 LSB, i-GELU ≤ 1.1 LSB, ShiftGELU ≤ 2.0 LSB (values in docs/numerics.md §7.4).
        var (lut, igelu, shift) = Errors(4.0 / 127);
        Assert.True(lut <= 0.5 && igelu <= 1.1 && shift <= 2.0, $"LUT {lut:F3}, i-GELU {igelu:F3}, ShiftGELU {shift:F3} LSB");
    }
}
