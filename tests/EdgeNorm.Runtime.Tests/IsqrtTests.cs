using CsCheck;
using EdgeNorm.Runtime.Numerics;
using Xunit;

namespace EdgeNorm.Runtime.Tests;

public class IsqrtTests
{
    [Theory]
    [InlineData(0UL, 0UL)]
    [InlineData(1UL, 1UL)]
    [InlineData(3UL, 1UL)]
    [InlineData(4UL, 2UL)]
    [InlineData(15UL, 3UL)]
    [InlineData(16UL, 4UL)]
    [InlineData(99UL, 9UL)]
    [InlineData(100UL, 10UL)]
    [InlineData(1_000_000_000UL, 31_622UL)]
    [InlineData(4_294_967_295UL, 65_535UL)]
    [InlineData(1UL << 62, 1UL << 31)]
    [InlineData(ulong.MaxValue, 4_294_967_295UL)]
    public void Isqrt_TestVector3(ulong v, ulong expected) => Assert.Equal(expected, IntMath.Isqrt(v));

    [Fact]
    public void Isqrt_100_IsNot64_UnlikeFixedIterationNewton() => Assert.NotEqual(64UL, IntMath.Isqrt(100));

    private static bool IsFloorSqrt(ulong v, ulong r) =>
        (UInt128)r * r <= v && (UInt128)(r + 1) * (r + 1) > v;

    [Fact]
    public void Isqrt_IsExactFloorSqrt_ExhaustivelyUpTo2Pow20()
    {
        for (ulong v = 0; v <= 1UL << 20; v++)
        {
            ulong r = IntMath.Isqrt(v, out int steps);
            if (!IsFloorSqrt(v, r) || steps > 6) Assert.Fail($"Isqrt({v}) = {r} after {steps} decreasing steps");
        }
    }

    [Fact]
    public void Isqrt_IsExactFloorSqrt_NearSquaresUpTo2Pow64()
    {
        var rng = new Random(11);
        for (int i = 0; i < 200_000; i++)
        {
            ulong root = (ulong)rng.NextInt64(1, 1L << 32) ;
            foreach (ulong v in new[] { root * root - 1, root * root, root * root + 1, root * root + 2 * root })
            {
                ulong r = IntMath.Isqrt(v, out int steps);
                if (!IsFloorSqrt(v, r) || steps > 6) Assert.Fail($"Isqrt({v}) = {r} after {steps} decreasing steps");
            }
        }
    }

    [Fact]
    public void Isqrt_IsExactFloorSqrt_RandomAcrossAllBitLengths() =>
        Gen.Int[1, 64].SelectMany(bits => Gen.ULong.Select(u => bits == 64 ? u : u & ((1UL << bits) - 1)))
            .Sample(v =>
            {
                ulong r = IntMath.Isqrt(v, out int steps);
                return IsFloorSqrt(v, r) && steps <= 6;
            }, iter: 500_000);
}
