using System.Text.Json;
using EdgeNorm.Model.Format;
using EdgeNorm.Model.Ir;
using Xunit;

namespace EdgeNorm.Cli.Tests;

/// <summary>`inspect` and `verify` on good, corrupted and unreadable model files.</summary>
public sealed class ModelFileVerbTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgenorm-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string WriteTinyModel(string name = "tiny.edgn")
    {
        var w = new sbyte[20 * 8];
        for (int i = 0; i < w.Length; i++) w[i] = (sbyte)(i * 7 % 255 - 127);
        var path = Path.Combine(_dir, name);
        new EdgnBuilder()
            .AddInput("x", DataType.Int8, [-1, 8], QuantParams.PerTensor(0.05f))
            .AddOutput("y", DataType.Int32, [-1, 20])
            .AddPackedWeights("fc.w", w, 20, 8, QuantParams.PerChannel(0, Enumerable.Repeat(0.01f, 20).ToArray()))
            .AddTensor<int>("fc.b", [20], new int[20])
            .AddNode("fc", "QLinear", ["x", "fc.w", "fc.b"], ["y"], new Dictionary<string, EdgnAttribute> { ["k"] = 8L })
            .SetMetadata("calibration.method", "minmax")
            .WriteFile(path);
        return path;
    }

    [Fact]
    public void Inspect_Json_HasContractFields()
    {
        var r = CliRunner.Run("inspect", WriteTinyModel(), "--json");
        Assert.True(r.ExitCode == 0, r.ToString());
        using var doc = JsonDocument.Parse(r.Out);
        var root = doc.RootElement;
        Assert.Equal(EdgnFormat.CurrentVersion.ToString(), root.GetProperty("format_version").GetString());
        Assert.Equal("QLinear", root.GetProperty("nodes")[0].GetProperty("op").GetString());
        var tensors = root.GetProperty("tensors").EnumerateArray().ToList();
        Assert.Equal(2, tensors.Count);
        var w = tensors.Single(t => t.GetProperty("name").GetString() == "fc.w");
        Assert.Equal(8, w.GetProperty("bits").GetInt32());
        Assert.Equal("packed_n16k4", w.GetProperty("layout").GetString());
        Assert.Equal("minmax", root.GetProperty("metadata").GetProperty("calibration.method").GetString());
    }

    [Fact]
    public void Inspect_Text_ShowsGraphTensorsAndProvenance()
    {
        var r = CliRunner.Run("inspect", WriteTinyModel());
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("fc (QLinear): x, fc.w, fc.b -> y", r.Out);
        Assert.Contains("fc.w: int8[20,8] 8-bit packed_n16k4", r.Out);
        Assert.Contains("calibration.method: minmax", r.Out);
    }

    [Fact]
    public void Verify_GoodFile_ExitsZero()
    {
        var r = CliRunner.Run("verify", WriteTinyModel());
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("checksums OK", r.Out);
    }

    [Fact]
    public void Verify_FlippedTensorByte_ExitsOne_NamingTheTensor()
    {
        var path = WriteTinyModel();
        long offset;
        using (var m = EdgnModel.Open(path)) offset = m.DataOffset + m.Header.GetTensor("fc.b").Offset + 3;
        var bytes = File.ReadAllBytes(path);
        bytes[offset] ^= 0x40;
        File.WriteAllBytes(path, bytes);

        var r = CliRunner.Run("verify", path);
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains("fc.b", r.Err);
        Assert.Single(r.Err.TrimEnd().Split('\n'));
    }

    [Theory]
    [InlineData("inspect")]
    [InlineData("verify")]
    public void UnreadableFiles_ExitTwo_WithOneLine(string verb)
    {
        var good = File.ReadAllBytes(WriteTinyModel());
        var cases = new Dictionary<string, byte[]>
        {
            ["truncated"] = good[..(good.Length / 2)],
            ["empty"] = [],
            ["garbage"] = Enumerable.Range(0, 300).Select(i => (byte)(i * 31)).ToArray(),
            ["header-flip"] = Flip(good, 70),
        };
        foreach (var (name, bytes) in cases)
        {
            var path = Path.Combine(_dir, name + ".edgn");
            File.WriteAllBytes(path, bytes);
            var r = CliRunner.Run(verb, path);
            Assert.True(r.ExitCode == 2, $"{name}: {r}");
            Assert.Single(r.Err.TrimEnd().Split('\n'));
        }
        var missing = CliRunner.Run(verb, Path.Combine(_dir, "does-not-exist.edgn"));
        Assert.True(missing.ExitCode == 2, missing.ToString());
    }

    private static byte[] Flip(byte[] b, int at)
    {
        var c = (byte[])b.Clone();
        c[at] ^= 0xFF;
        return c;
    }
}
