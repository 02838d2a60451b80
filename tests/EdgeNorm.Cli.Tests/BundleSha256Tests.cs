using EdgeNorm.Firmware;
using Xunit;

namespace EdgeNorm.Cli.Tests;

/// <summary>The managed SHA-256 behind bundle manifests (no OpenSSL on the board) against the FIPS vectors and the BCL.</summary>
public sealed class BundleSha256Tests
{
    [Theory]
    [InlineData("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")]
    [InlineData("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")]
    [InlineData("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")]
    public void KnownVectors(string text, string hex) =>
        Assert.Equal(hex, Convert.ToHexStringLower(Sha256.Hash(System.Text.Encoding.ASCII.GetBytes(text))));

    [Fact]
    public void EveryLengthAroundTheBlockBoundaries_AndSplitAppends_MatchTheBcl()
    {
        var rng = new Random(6);
        var data = new byte[300_000];
        rng.NextBytes(data);
        foreach (int n in Enumerable.Range(0, 200).Concat([1000, 4095, 4096, 65_537, 300_000]))
        {
            var expected = System.Security.Cryptography.SHA256.HashData(data.AsSpan(0, n));
            Assert.Equal(expected, Sha256.Hash(data.AsSpan(0, n)));
            var split = new Sha256();
            int cut = n / 3;
            split.Append(data.AsSpan(0, cut));
            split.Append(data.AsSpan(cut, n - cut));
            Assert.Equal(expected, split.Finish());
        }
    }
}
