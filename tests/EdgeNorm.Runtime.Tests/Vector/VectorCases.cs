using EdgeNorm.Runtime.Kernels.Vector;
using EdgeNorm.Runtime.Numerics;
using Xunit;

namespace EdgeNorm.Runtime.Tests.VectorKernels;

/// <summary>Shared inputs of the vector-vs-reference tests: the widths usable here, the row lengths, random data.</summary>
internal static class VectorCases
{
    /// <summary>Every width this machine runs (x64 with AVX2: both; the 128-bit one is the forced <c>vector128</c> path).</summary>
    public static TheoryData<VectorWidth> Widths()
    {
        var data = new TheoryData<VectorWidth>();
        foreach (var w in VectorWidths.Usable) data.Add(w);
        return data;
    }

    /// <summary>1, 2, 3, lanes − 1, lanes, lanes + 1 for 4 and 8 lanes, two blocks, 197 (DeiT tokens), and a long row.</summary>
    public static readonly int[] Lengths = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 33, 192, 197, 768, 1000];

    /// <summary>A random valid dyadic multiplier, with shifts over the whole range [1, 62] or a realistic one.</summary>
    public static DyadicMultiplier Multiplier(Random rng, int minShift = 1, int maxShift = 62) =>
        new(rng.Next(DyadicMultiplier.MinMultiplier, int.MaxValue), rng.Next(minShift, maxShift + 1));

    public static short[] Int16(Random rng, int n, int kind) => Enumerable.Range(0, n).Select(_ => kind switch
    {
        0 => (short)rng.Next(short.MinValue, short.MaxValue + 1),
        1 => short.MinValue,
        2 => short.MaxValue,
        3 => (short)rng.Next(-300, 300),
        _ => (short)(rng.Next(2) == 0 ? short.MinValue : short.MaxValue),
    }).ToArray();

    public static int[] Int32(Random rng, int n, int kind) => Enumerable.Range(0, n).Select(_ => kind switch
    {
        0 => rng.Next(int.MinValue, int.MaxValue) + rng.Next(2),
        1 => int.MinValue,
        2 => int.MaxValue,
        3 => rng.Next(-100_000, 100_000),
        _ => rng.Next(2) == 0 ? int.MinValue : int.MaxValue,
    }).ToArray();

    public static sbyte[] Int8(Random rng, int n, int kind) => Enumerable.Range(0, n).Select(_ => kind switch
    {
        0 => (sbyte)rng.Next(-128, 128),
        1 => sbyte.MinValue,
        2 => sbyte.MaxValue,
        3 => (sbyte)rng.Next(-4, 4),
        _ => rng.Next(2) == 0 ? sbyte.MinValue : sbyte.MaxValue,
    }).ToArray();

    /// <summary>Value kinds: random full range, all minimum, all maximum, small, alternating extremes.</summary>
    public const int Kinds = 5;
}
