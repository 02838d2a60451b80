using EdgeNorm.Runtime.Kernels.Reference;
using EdgeNorm.Runtime.Numerics;
using EdgeNorm.Runtime.Numerics.Offline;
using Xunit;

namespace EdgeNorm.Runtime.Tests;

/// <summary>
/// The linear (I-BERT) softmax of <c>--softmax linear</c> end to end on one attention row: i-exp (n = 15) → uint8
/// probabilities at 2^-8 → int8×uint8 attention × V (docs/numerics.md §5.4, §6.5), against float softmax·V.
/// </summary>
public class LinearSoftmaxTests
{
    private static readonly IBertExpParameters Exp = IntExpBuilder.IBert(Math.ScaleB(1.0, -10), LinearSoftmax.ExpFractionBits);

    [Fact]
    public void LinearWeightedSum_IsTheExactIntegerDotProduct()
    {
        var rng = new Random(4);
        const int n = 17, d = 8;
        var p = new byte[n];
        var v = new sbyte[n * d];
        rng.NextBytes(p);
        for (int i = 0; i < v.Length; i++) v[i] = (sbyte)rng.Next(-128, 128);
        var acc = new int[d];
        AttentionReference.LinearWeightedSum(p, v, acc);
        for (int j = 0; j < d; j++)
        {
            long expected = 0;
            for (int i = 0; i < n; i++) expected += p[i] * (long)v[i * d + j];
            Assert.Equal(expected, acc[j]);
        }
    }

    [Fact]
    public void LinearSoftmaxRow_WithinOneAndAHalfLsbOfFloat_AndAttentionWithinBound()
    {
        // Gaussian logits σ = 2.5 at 2^-10, 17 tokens (the digits ViTs' length), 2,000 rows.
        var rng = new Random(7);
        const int n = 17, d = 16;
        double worstP = 0, worstOut = 0;
        var logits = new int[n];
        var e = new int[n];
        var p = new byte[n];
        var v = new sbyte[n * d];
        var acc = new int[d];
        for (int row = 0; row < 2000; row++)
        {
            for (int i = 0; i < n; i++) logits[i] = (int)Math.Round(Gaussian(rng) * 2.5 * 1024);
            for (int i = 0; i < v.Length; i++) v[i] = (sbyte)rng.Next(-127, 128);
            SoftmaxReference.IBertExpRow(logits, default, Exp, e);
            SoftmaxReference.NormalizeLinear(e, p);
            AttentionReference.LinearWeightedSum(p, v, acc);
            double max = logits.Max() / 1024.0, sum = logits.Sum(l => Math.Exp(l / 1024.0 - max));
            for (int i = 0; i < n; i++)
                worstP = Math.Max(worstP, Math.Abs(p[i] / 256.0 - Math.Exp(logits[i] / 1024.0 - max) / sum));
            for (int j = 0; j < d; j++)
            {
                double exact = 0;
                for (int i = 0; i < n; i++) exact += Math.Exp(logits[i] / 1024.0 - max) / sum * v[i * d + j];
                worstOut = Math.Max(worstOut, Math.Abs(acc[j] / 256.0 - exact));
            }
        }
        Assert.True(worstP <= 1.5 / 256, $"max |p̂ − p| = {worstP * 256:F3} LSB");
        // Per output ≤ 127·Σ_i |p̂_i − p_i| (the floors bias p̂ down, Σp̂ ≤ 256); measured 2.73 V units at n = 17.
        Assert.True(worstOut <= 3.5, $"max |Σ p̂·V − Σ p·V| = {worstOut:F3} (V units)");
    }

    [Fact]
    public void LinearSoftmax_OneHot_Gives255_AndRowSumsAtMost256()
    {
        var e = new int[4];
        var p = new byte[4];
        SoftmaxReference.IBertExpRow([0, -100_000, -100_000, -100_000], default, Exp, e);
        SoftmaxReference.NormalizeLinear(e, p);
        Assert.Equal(255, p[0]);
        Assert.Equal(0, p[1] + p[2] + p[3]);
        var rng = new Random(3);
        var logits = new int[64];
        e = new int[64];
        p = new byte[64];
        for (int t = 0; t < 500; t++)
        {
            for (int i = 0; i < 64; i++) logits[i] = rng.Next(-8192, 8192);
            SoftmaxReference.IBertExpRow(logits, default, Exp, e);
            SoftmaxReference.NormalizeLinear(e, p);
            Assert.InRange(p.Sum(b => b), 1, 256);
        }
    }

    private static double Gaussian(Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}
