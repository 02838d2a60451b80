using EdgeNorm.Model.Format;
using EdgeNorm.Runtime.Kernels.Reference;
using Xunit;

namespace EdgeNorm.Runtime.Tests;

/// <summary>The scalar GEMM on the canonical packed layout equals the row-major one, on odd and tiny shapes.</summary>
public class GemmTests
{
    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 5)]
    [InlineData(16, 4)]
    [InlineData(17, 33)]
    [InlineData(96, 32)]
    [InlineData(10, 7)]
    public void PackedRow_EqualsRowMajor(int n, int k)
    {
        var r = new Random(n * 1000 + k);
        var w = new sbyte[n * k];
        var x = new sbyte[k];
        var bias = new int[n];
        foreach (ref var v in w.AsSpan()) v = (sbyte)r.Next(-128, 128);
        foreach (ref var v in x.AsSpan()) v = (sbyte)r.Next(-128, 128);
        foreach (ref var v in bias.AsSpan()) v = r.Next(-100_000, 100_000);
        w[0] = x[0] = sbyte.MinValue;
        var expected = new int[n];
        var actual = new int[n];
        GemmReference.Row(x, w, bias, expected);
        GemmReference.PackedRow(x, PackedWeights.Pack(w, n, k), bias, actual);
        Assert.Equal(expected, actual);
        GemmReference.PackedRow(x, PackedWeights.Pack(w, n, k), default, actual);
        for (int j = 0; j < n; j++) Assert.Equal(expected[j] - bias[j], actual[j]);
    }
}
