using EdgeNorm.Runtime.Kernels.Reference;
using EdgeNorm.Runtime.Numerics;
using EdgeNorm.Runtime.Numerics.Offline;
using Xunit;

namespace EdgeNorm.Runtime.Tests;

/// <summary>
/// A small causal attention (S = 6 tokens, Dh = 4) built from the reference kernels with each softmax family:
/// query i attends keys 0..i. Masked positions must get exactly zero weight — zero exponential, zero probability,
/// the zero code — so each row's output equals attention over the unmasked prefix alone, bit for bit, whatever
/// the masked logits and V rows hold (docs/numerics.md §5.3).
/// </summary>
public class CausalAttentionTests
{
    private const int S = 6, Dh = 4;

    public static TheoryData<string> Families => new() { "linear", "lis", "logsqrt2" };

    [Theory]
    [MemberData(nameof(Families))]
    public void CausalMask_MaskedKeysGetExactlyZeroWeight(string family)
    {
        var rng = new Random(11);
        var logits = new int[S * S];
        var v = new sbyte[S * Dh];
        for (int i = 0; i < logits.Length; i++) logits[i] = rng.Next(-6000, 6000);
        for (int i = 0; i < v.Length; i++) v[i] = (sbyte)rng.Next(-128, 128);
        for (int i = 0; i < S; i++)
        {
            var mask = new byte[S];
            for (int j = 0; j <= i; j++) mask[j] = 1;
            var row = logits.AsSpan(i * S, S).ToArray();
            var (weights, output) = Attend(family, row, mask, v);
            for (int j = i + 1; j < S; j++)
                Assert.Equal(family == "linear" ? 0 : Log2Codes.Zero, weights[j]);

            // The masked logits and V rows do not matter: make them huge/garbage and compare with the prefix alone.
            var poisoned = row.ToArray();
            var vPoisoned = v.ToArray();
            for (int j = i + 1; j < S; j++)
            {
                poisoned[j] = int.MaxValue;
                for (int t = 0; t < Dh; t++) vPoisoned[j * Dh + t] = sbyte.MinValue;
            }
            var (_, outputPoisoned) = Attend(family, poisoned, mask, vPoisoned);
            var (_, prefix) = Attend(family, row.AsSpan(0, i + 1).ToArray(), default, v.AsSpan(0, (i + 1) * Dh).ToArray());
            SpanAssert.Equal(prefix, output);
            SpanAssert.Equal(prefix, outputPoisoned);
        }
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void AllMaskedRow_GivesZeroOutput(string family)
    {
        var v = Enumerable.Range(0, S * Dh).Select(i => (sbyte)(i - 12)).ToArray();
        var (_, output) = Attend(family, new int[S], new byte[S], v);
        SpanAssert.Equal(new int[output.Length], output);
        Assert.Equal(family == "logsqrt2" ? 2 * Dh : Dh, output.Length);
    }

    /// <summary>One row: exponentials (masked → 0), probabilities or codes, and the int32 attention sums (log√2: even + odd, both at 2^-15).</summary>
    private static (byte[] Weights, int[] Output) Attend(string family, int[] logits, byte[]? mask, sbyte[] v)
    {
        int n = logits.Length;
        var e = new int[n];
        var weights = new byte[n];
        var acc = new int[Dh];
        var exp = IntExpBuilder.IBert(Math.ScaleB(1.0, -10), family == "linear" ? LinearSoftmax.ExpFractionBits : 30);
        SoftmaxReference.IBertExpRow(logits, mask, exp, e);
        switch (family)
        {
            case "linear":
                SoftmaxReference.NormalizeLinear(e, weights);
                AttentionReference.LinearWeightedSum(weights, v, acc);
                break;
            case "lis":
                SoftmaxReference.LisCodes(e, weights);
                AttentionReference.LisWeightedSum(weights, v, acc);
                break;
            default:
                var odd = new int[Dh];
                SoftmaxReference.LogSqrt2Codes(e, weights);
                AttentionReference.LogSqrt2WeightedSums(weights, v, acc, odd);
                acc = acc.Concat(odd).ToArray();
                break;
        }
        return (weights, acc);
    }
}
