using EdgeNorm.Model.Format;
using Xunit;

namespace EdgeNorm.Model.Tests.Format;

public sealed class PackedWeightsTests
{
    private static sbyte[] Weights(int n, int k, int seed)
    {
        var rng = new Random(seed);
        var w = new sbyte[n * k];
        for (int i = 0; i < w.Length; i++) w[i] = (sbyte)rng.Next(-128, 128);
        return w;
    }

    public static TheoryData<int, int> Shapes => new()
    {
        { 1, 1 }, { 1, 4 }, { 16, 4 }, { 16, 1 }, { 5, 7 }, { 15, 3 }, { 17, 5 }, { 32, 64 }, { 33, 130 }, { 64, 9 }, { 3, 0 }, { 0, 8 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void PackThenUnpack_IsTheIdentity_IncludingTails(int n, int k)
    {
        sbyte[] w = Weights(n, k, n * 1000 + k);
        byte[] packed = PackedWeights.Pack(w, n, k);
        Assert.Equal(PackedWeights.ByteLength(n, k), packed.Length);
        Assert.Equal(w, PackedWeights.Unpack(packed, n, k));
        Assert.Null(PackedWeights.Check(packed, n, k));
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Layout_IsPanelsOf16Rows_TimesGroupsOf4Columns_ZeroPadded(int n, int k)
    {
        sbyte[] w = Weights(n, k, 7 + n + k);
        byte[] packed = PackedWeights.Pack(w, n, k);
        int np = (n + 15) / 16 * 16, kp = (k + 3) / 4 * 4;
        // Straight from the definition: [Np/16 panels][Kp/4 groups][16 rows][4 columns].
        for (int p = 0; p < np / 16; p++)
            for (int g = 0; g < kp / 4; g++)
                for (int r = 0; r < 16; r++)
                    for (int c = 0; c < 4; c++)
                    {
                        int row = p * 16 + r, col = g * 4 + c;
                        int at = ((p * (kp / 4) + g) * 16 + r) * 4 + c;
                        sbyte expected = row < n && col < k ? w[row * k + col] : (sbyte)0;
                        Assert.True(expected == (sbyte)packed[at], $"W[{row},{col}] at byte {at}: expected {expected}, found {(sbyte)packed[at]}");
                        Assert.Equal(at, PackedWeights.IndexOf(row, col, k));
                    }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ColumnSums_AreStoredAfterThePanels_PerOutputChannel_ZeroForPadding(int n, int k)
    {
        sbyte[] w = Weights(n, k, 99 + n * k);
        byte[] packed = PackedWeights.Pack(w, n, k);
        int[] sums = PackedWeights.ColumnSums(w, n, k);
        ReadOnlySpan<int> stored = PackedWeights.GetColumnSums(packed, n, k);
        Assert.Equal((n + 15) / 16 * 16, stored.Length);
        for (int row = 0; row < stored.Length; row++)
        {
            int expected = 0;
            for (int col = 0; row < n && col < k; col++) expected += w[row * k + col];
            Assert.True(expected == stored[row], $"row {row}: stored sum {stored[row]}, expected {expected}");
            if (row < n) Assert.Equal(expected, sums[row]);
        }
    }

    [Fact]
    public void WorkedExample_2x3()
    {
        byte[] packed = PackedWeights.Pack([1, 2, 3, 4, 5, 6], 2, 3);
        Assert.Equal(64 + 16 * 4, packed.Length);
        Assert.Equal(new byte[] { 1, 2, 3, 0, 4, 5, 6, 0 }, packed[..8]);
        Assert.All(packed[8..64], b => Assert.Equal(0, b));
        Assert.Equal([6, 15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], PackedWeights.GetColumnSums(packed, 2, 3).ToArray());
    }

    [Fact]
    public void ExtremeWeights_SumWithoutOverflow()
    {
        int k = 4096;
        sbyte[] w = Enumerable.Repeat(sbyte.MinValue, k).ToArray();
        Assert.Equal(-128 * k, PackedWeights.ColumnSums(w, 1, k)[0]);
    }

    [Fact]
    public void Check_FindsNonZeroPadding_AndWrongSums()
    {
        byte[] packed = PackedWeights.Pack([1, 2, 3, 4, 5, 6], 2, 3);
        byte[] pad = (byte[])packed.Clone();
        pad[3] = 9; // row 0, column 3 (K padding)
        Assert.Contains("row 0, column 3", PackedWeights.Check(pad, 2, 3));
        byte[] sum = (byte[])packed.Clone();
        sum[64 + 4] = 1; // sum of row 1
        Assert.Contains("row 1", PackedWeights.Check(sum, 2, 3));
    }

    [Fact]
    public void BadArguments_Throw()
    {
        Assert.Throws<ArgumentException>(() => PackedWeights.Pack(new sbyte[5], 2, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => PackedWeights.Pack([], -1, 3));
        Assert.Throws<ArgumentException>(() => PackedWeights.Unpack(new byte[10], 2, 3));
        Assert.Throws<OverflowException>(() => PackedWeights.ByteLength(long.MaxValue / 2, long.MaxValue / 2));
    }
}
