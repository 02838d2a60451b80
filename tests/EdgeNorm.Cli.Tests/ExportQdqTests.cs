using EdgeNorm.Tests;
using Xunit;

namespace EdgeNorm.Cli.Tests;

/// <summary>`edgenorm export-qdq`: writes an ONNX model from a calibrated .edgn; bad input exits 2 with one line and no output file.</summary>
public sealed class ExportQdqTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "edgenorm-qdq-" + Guid.NewGuid().ToString("N"));

    public ExportQdqTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    [Fact]
    public void ExportQdq_CalibratedModel_WritesOnnxThatImports()
    {
        string model = Path.Combine(_dir, "m.edgn"), qdq = Path.Combine(_dir, "m.qdq.onnx");
        var c = CliRunner.Run("calibrate", TestPaths.Fixture("vit_prepbn.onnx"), "-o", model, "--data", TestPaths.Fixture("digits_calib_x.npy"), "--samples", "64");
        Assert.True(c.ExitCode == 0, c.ToString());
        var r = CliRunner.Run("export-qdq", model, "-o", qdq);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("m.qdq.onnx", r.Out);
        var proto = EdgeNorm.Onnx.Proto.ModelProto.Parser.ParseFrom(File.ReadAllBytes(qdq));
        Assert.Contains(proto.Graph.Node, n => n.OpType == "QuantizeLinear");
        Assert.Contains(proto.Graph.Node, n => n.OpType == "DequantizeLinear" && n.Attribute.Any(a => a.Name == "axis"));
        Assert.Equal(["input"], proto.Graph.Input.Select(i => i.Name));
        Assert.Single(Directory.GetFiles(_dir, "*.onnx"));
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
    }

    [Fact]
    public void ExportQdq_NotAModel_ExitsTwoWithOneLineAndWritesNothing()
    {
        string bad = Path.Combine(_dir, "bad.edgn"), qdq = Path.Combine(_dir, "out.onnx");
        File.WriteAllText(bad, "not a model");
        var r = CliRunner.Run("export-qdq", bad, "-o", qdq);
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Single(r.Err.TrimEnd().Split('\n'));
        Assert.False(File.Exists(qdq));
    }

    [Fact]
    public void ExportQdq_MissingOutputOption_ExitsTwo()
    {
        var r = CliRunner.Run("export-qdq", Path.Combine(_dir, "m.edgn"));
        Assert.Equal(2, r.ExitCode);
    }
}
