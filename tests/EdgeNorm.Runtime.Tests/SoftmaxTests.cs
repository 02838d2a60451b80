using EdgeNorm.Runtime.Kernels.Reference;
using EdgeNorm.Runtime.Numerics;
using EdgeNorm.Runtime.Numerics.Offline;
using Xunit;

namespace EdgeNorm.Runtime.Tests;

public class SoftmaxTests
{
    private static readonly ShiftExpParameters Shift16 = IntExpBuilder.Shift(1.0 / 16, 15);

    [Fact]
    public void Shiftmax_TestVector6()
    {
        sbyte[] logits = [32, 16, 0, -16];
        var e = new int[4];
        SoftmaxReference.ShiftExpRow(logits, [], Shift16, e);
        SpanAssert.Equal(new[] { 524_288, 204_800, 73_728, 27_648 }, e, "E");
        long sum = SoftmaxReference.RowSum(e);
        Assert.Equal(830_464, sum);
        Assert.Equal(2585, int.MaxValue / sum);
        var probabilities = new sbyte[4];
        SoftmaxReference.NormalizeShiftmax(e, probabilities);
        SpanAssert.Equal(new sbyte[] { 80, 31, 11, 4 }, probabilities, "out");
    }

    [Theory]
    [InlineData(8)]
    [InlineData(16)]
    public void Shiftmax_OutputsAndTheirSumStayBelow2PowBitsMinus1(int bits)
    {
        var rng = new Random(bits);
        for (int trial = 0; trial < 2000; trial++)
        {
            int n = rng.Next(1, 300);
            var logits = new sbyte[n];
            for (int i = 0; i < n; i++) logits[i] = (sbyte)rng.Next(-128, 128);
            var e = new int[n];
            SoftmaxReference.ShiftExpRow(logits, [], Shift16, e);
            long sum = SoftmaxReference.RowSum(e);
            long factor = int.MaxValue / Math.Min(sum, int.MaxValue);
            Assert.All(e, v => Assert.True(v * factor < 1L << 31));
            var output = new int[n];
            SoftmaxReference.NormalizeShiftmax(e, bits, output);
            Assert.All(output, v => Assert.InRange(v, 0, (1 << (bits - 1)) - 1));
            Assert.True(output.Sum() < 1 << (bits - 1), $"Σout = {output.Sum()}");
        }
    }

    [Fact]
    public void Shiftmax_Int16OverloadEqualsTheBitsForm()
    {
        sbyte[] logits = [5, -3, 100, 100, -128, 0, 7];
        var e = new int[logits.Length];
        SoftmaxReference.ShiftExpRow(logits, [], Shift16, e);
        var wide = new int[e.Length];
        var narrow = new short[e.Length];
        SoftmaxReference.NormalizeShiftmax(e, 16, wide);
        SoftmaxReference.NormalizeShiftmax(e, narrow);
        SpanAssert.Equal(wide, narrow.Select(v => (int)v).ToArray());
    }

    private static byte[] IBertSoftmax(int[] logits, double scale, ReadOnlySpan<byte> mask = default)
    {
        var p = IntExpBuilder.IBert(scale, 15);
        var e = new int[logits.Length];
        SoftmaxReference.IBertExpRow(logits, mask, p, e);
        var output = new byte[logits.Length];
        SoftmaxReference.NormalizeLinear(e, output);
        return output;
    }

    [Fact]
    public void IBertSoftmax_OneHotGives255()
    {
        int[] logits = [-1_000_000, 0, -1_000_000, -1_000_000];
        SpanAssert.Equal(new byte[] { 0, 255, 0, 0 }, IBertSoftmax(logits, Math.ScaleB(1, -10)));
        SpanAssert.Equal(new byte[] { 255 }, IBertSoftmax([12345], Math.ScaleB(1, -10)));
    }

    [Fact]
    public void IBertSoftmax_SumAtMost256_AndWithin1_5LsbOfFloatSoftmax()
    {
        var rng = new Random(5);
        double s = Math.ScaleB(1, -12);
        for (int trial = 0; trial < 200; trial++)
        {
            int n = 128;
            var x = new double[n];
            for (int i = 0; i < n; i++) x[i] = 2.5 * Gaussian(rng);
            int[] logits = x.Select(v => (int)Math.Round(v / s)).ToArray();
            byte[] p = IBertSoftmax(logits, s);
            Assert.True(p.Sum(v => v) <= 256, $"Σout = {p.Sum(v => v)}");
            double max = logits.Max() * s;
            double z = logits.Sum(q => Math.Exp(q * s - max));
            for (int i = 0; i < n; i++)
            {
                double reference = Math.Exp(logits[i] * s - max) / z;
                double err = Math.Abs(p[i] / 256.0 - reference);
                if (err > 1.5 / 256) Assert.Fail($"trial {trial}, index {i}: p = {p[i]}/256, reference {reference:F5}, error {err * 256:F2} LSB");
            }
        }
    }

    [Fact]
    public void Masking_SetsExpToExactlyZero_AndMaxIgnoresMaskedLogits()
    {
        int[] logits = [1000, 50, 0, 5000];
        byte[] mask = [1, 1, 1, 0];
        var p = IntExpBuilder.IBert(Math.ScaleB(1, -10), 15);
        var e = new int[4];
        SoftmaxReference.IBertExpRow(logits, mask, p, e);
        Assert.Equal(0, e[3]);
        Assert.Equal(IntExp.IBert(0, p), e[0]); // the max is 1000, not the masked 5000

        var all = new byte[4];
        SoftmaxReference.IBertExpRow(logits, all, p, e);
        SpanAssert.Equal(new int[4], e, "all masked");
        var output = new byte[4];
        SoftmaxReference.NormalizeLinear(e, output);
        SpanAssert.Equal(new byte[4], output, "all masked");

        sbyte[] small = [10, 20, 30];
        var se = new int[3];
        SoftmaxReference.ShiftExpRow(small, [1, 0, 1], Shift16, se);
        Assert.Equal(0, se[1]);
        Assert.Equal(Shift16.One, se[2]);
    }

    [Fact]
    public void Masking_LeavesNoResidualWeight_UnlikeClipping()
    {
        // Clipping alone leaves |X0| units (shift-exp) for a hugely negative logit; the mask leaves 0.
        Assert.True(IntExp.Shift(-128, IntExpBuilder.Shift(1.0 / 4, 15)) > 0);
    }

    internal static double Gaussian(Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}
