using System.Text;
using EdgeNorm.Model.Format;
using Xunit;

namespace EdgeNorm.Model.Tests.Format;

public sealed class Crc32CTests
{
    [Fact]
    public void CheckValue_Of123456789_IsE3069283() =>
        Assert.Equal(0xE3069283u, Crc32C.Compute(Encoding.ASCII.GetBytes("123456789")));

    [Fact]
    public void EmptyInput_IsZero() => Assert.Equal(0u, Crc32C.Compute([]));

    [Fact]
    public void MatchesTheBitwiseDefinition_ForEveryLengthAndSplit()
    {
        var rng = new Random(5);
        for (int len = 0; len < 80; len++)
        {
            var data = new byte[len];
            rng.NextBytes(data);
            uint expected = RawEdgn.Crc(data);
            Assert.True(expected == Crc32C.Compute(data), $"length {len}");
            int split = len / 3;
            uint incremental = Crc32C.Finish(Crc32C.Update(Crc32C.Update(Crc32C.Start, data.AsSpan(0, split)), data.AsSpan(split)));
            Assert.Equal(expected, incremental);
        }
    }
}
