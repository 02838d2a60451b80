using EdgeNorm.Runtime.Kernels.Reference;
using EdgeNorm.Runtime.Kernels.Vector;
using EdgeNorm.Runtime.Numerics;
using Xunit;

namespace EdgeNorm.Runtime.Tests.VectorKernels;

/// <summary>Residual add, per-tensor and per-channel requantisation: vector bytes equal the scalar reference's.</summary>
public class ElementwiseVectorTests
{
    [Theory]
    [MemberData(nameof(VectorCases.Widths), MemberType = typeof(VectorCases))]
    public void ResidualAdd_EqualsReference(VectorWidth width)
    {
        var rng = new Random(1);
        foreach (int n in VectorCases.Lengths)
            for (int kind = 0; kind < VectorCases.Kinds; kind++)
                for (int trial = 0; trial < 4; trial++)
                {
                    var a = VectorCases.Int16(rng, n, kind);
                    var b = VectorCases.Int16(rng, n, (kind + trial) % VectorCases.Kinds);
                    // Whole shift range (huge ratios saturate, tiny ones round to 0) and realistic ratios near 1.
                    var ma = trial < 2 ? VectorCases.Multiplier(rng) : VectorCases.Multiplier(rng, 29, 32);
                    var mb = trial < 2 ? VectorCases.Multiplier(rng) : VectorCases.Multiplier(rng, 29, 32);
                    var expected = new short[n];
                    var actual = new short[n];
                    RequantizeReference.ResidualAdd(a, ma, b, mb, expected);
                    AddVector.ResidualAdd(a, ma, b, mb, actual, width);
                    SpanAssert.Equal(expected, actual, $"n={n} kind={kind} ma={ma} mb={mb}");
                }
    }

    [Theory]
    [MemberData(nameof(VectorCases.Widths), MemberType = typeof(VectorCases))]
    public void ResidualAdd_InPlace_EqualsReference(VectorWidth width)
    {
        var rng = new Random(2);
        var a = VectorCases.Int16(rng, 197, 0);
        var b = VectorCases.Int16(rng, 197, 0);
        var ma = VectorCases.Multiplier(rng, 29, 32);
        var mb = VectorCases.Multiplier(rng, 29, 32);
        var expected = new short[197];
        RequantizeReference.ResidualAdd(a, ma, b, mb, expected);
        AddVector.ResidualAdd(a, ma, b, mb, a, width);
        SpanAssert.Equal(expected, a);
    }

    [Theory]
    [MemberData(nameof(VectorCases.Widths), MemberType = typeof(VectorCases))]
    public void PerTensor_EqualsReference(VectorWidth width)
    {
        var rng = new Random(3);
        foreach (int n in VectorCases.Lengths)
            for (int kind = 0; kind < VectorCases.Kinds; kind++)
                for (int trial = 0; trial < 4; trial++)
                {
                    var m = trial < 2 ? VectorCases.Multiplier(rng) : VectorCases.Multiplier(rng, 30, 40);
                    var x16 = VectorCases.Int16(rng, n, kind);
                    var expected = x16.Select(v => Requantizer.ToInt8(v, m)).ToArray();
                    var actual = new sbyte[n];
                    RequantizeVector.PerTensor(x16, actual, m, width);
                    SpanAssert.Equal(expected, actual, $"int16 n={n} kind={kind} m={m}");

                    var x32 = VectorCases.Int32(rng, n, kind);
                    var expected32 = new sbyte[n];
                    RequantizeReference.PerTensor(x32, expected32, m);
                    RequantizeVector.PerTensor(x32, actual, m, width);
                    SpanAssert.Equal(expected32, actual, $"int32 n={n} kind={kind} m={m}");
                }
    }

    [Theory]
    [MemberData(nameof(VectorCases.Widths), MemberType = typeof(VectorCases))]
    public void PerChannel_WithSigns_EqualsReference(VectorWidth width)
    {
        var rng = new Random(4);
        foreach (int c in VectorCases.Lengths)
            for (int kind = 0; kind < VectorCases.Kinds; kind++)
            {
                int rows = 3;
                var m = Enumerable.Range(0, c).Select(_ => rng.Next(3) == 0 ? VectorCases.Multiplier(rng) : VectorCases.Multiplier(rng, 30, 46)).ToArray();
                var signs = Enumerable.Range(0, c).Select(_ => rng.Next(-1, 2)).ToArray();
                var offsets = Enumerable.Range(0, c).Select(_ => rng.Next(4) == 0 ? rng.Next(int.MinValue, int.MaxValue) : rng.Next(-200, 200)).ToArray();
                var table = new ChannelRequant(m, signs, offsets);

                var t = VectorCases.Int32(rng, rows * c, kind);
                var signed = t.Select((v, i) => v * signs[i % c]).ToArray();
                var e8 = new sbyte[t.Length];
                var a8 = new sbyte[t.Length];
                RequantizeReference.PerChannel(signed, e8, m, offsets);
                RequantizeVector.PerChannel(t, a8, table, width);
                SpanAssert.Equal(e8, a8, $"int32→int8 C={c} kind={kind}");

                var e16 = new short[t.Length];
                var a16 = new short[t.Length];
                RequantizeReference.PerChannel(signed, e16, m, offsets);
                RequantizeVector.PerChannel(t, a16, table, width);
                SpanAssert.Equal(e16, a16, $"int32→int16 C={c} kind={kind}");

                var x = VectorCases.Int16(rng, rows * c, kind);
                var affine = x.Select((v, i) => Requantizer.ToInt8(v * signs[i % c], m[i % c], offsets[i % c])).ToArray();
                RequantizeVector.PerChannel(x, a8, table, width);
                SpanAssert.Equal(affine, a8, $"int16→int8 C={c} kind={kind}");
            }
    }

    [Theory]
    [MemberData(nameof(VectorCases.Widths), MemberType = typeof(VectorCases))]
    public void Int16Operands_EveryShift_EqualReference(VectorWidth width)
    {
        // Shifts 17..46 take the 32-bit lane form, the others the 64-bit one; the mantissa extremes stress both halves.
        var rng = new Random(5);
        int[] mantissas = [DyadicMultiplier.MinMultiplier, int.MaxValue, DyadicMultiplier.MinMultiplier | 0xFFFF, 0x5555_5555];
        for (int k = 1; k <= 62; k++)
            foreach (int mant in mantissas)
                for (int kind = 0; kind < VectorCases.Kinds; kind++)
                {
                    var m = new DyadicMultiplier(mant, k);
                    var other = new DyadicMultiplier(mantissas[(k + kind) % mantissas.Length], Math.Clamp(k + kind - 2, 1, 62));
                    var a = VectorCases.Int16(rng, 37, kind);
                    var b = VectorCases.Int16(rng, 37, (kind + 1) % VectorCases.Kinds);
                    var expected = new short[37];
                    var actual = new short[37];
                    RequantizeReference.ResidualAdd(a, m, b, other, expected);
                    AddVector.ResidualAdd(a, m, b, other, actual, width);
                    SpanAssert.Equal(expected, actual, $"add m={m} other={other} kind={kind}");
                    var e8 = a.Select(v => Requantizer.ToInt8(v, m)).ToArray();
                    var a8 = new sbyte[37];
                    RequantizeVector.PerTensor(a, a8, m, width);
                    SpanAssert.Equal(e8, a8, $"requant m={m} kind={kind}");
                }
    }
}
