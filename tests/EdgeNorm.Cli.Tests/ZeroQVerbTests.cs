using EdgeNorm.Tests;
using Xunit;

namespace EdgeNorm.Cli.Tests;

/// <summary>`edgenorm calibrate --zeroq`: data-free calibration and its refusals (short runs; the 500-step measurement is in docs/accuracy.md).</summary>
public sealed class ZeroQVerbTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgenorm-zeroq-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void ZeroQ_OnVitPrepbn_WritesAVerifiableModel_WithProgress()
    {
        string model = Path.Combine(_dir, "m.edgn");
        var c = CliRunner.Run("calibrate", TestPaths.Fixture("vit_prepbn.onnx"), "-o", model, "--zeroq", "--zeroq-steps", "6", "--zeroq-batch", "4", "--seed", "2");
        Assert.True(c.ExitCode == 0, c.ToString());
        Assert.Contains("zeroq step 6/6", c.Err);
        Assert.Contains("|μ̃−μ|/σ", c.Err);
        var v = CliRunner.Run("verify", model);
        Assert.True(v.ExitCode == 0, v.ToString());
        var i = CliRunner.Run("inspect", model);
        Assert.Contains("zeroq", i.Out);
    }

    [Fact]
    public void ZeroQ_WithData_ExitsTwo()
    {
        string model = Path.Combine(_dir, "m.edgn");
        var r = CliRunner.Run("calibrate", TestPaths.Fixture("vit_prepbn.onnx"), "-o", model, "--zeroq", "--data", TestPaths.Fixture("digits_calib_x.npy"));
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains("--zeroq calibrates without data", r.Err);
        Assert.False(File.Exists(model));
    }

    [Fact]
    public void ZeroQ_ModelWithoutBatchNorm_ExitsTwo_SayingWhy()
    {
        string model = Path.Combine(_dir, "m.edgn");
        var r = CliRunner.Run("calibrate", TestPaths.Fixture("vit_ln_op17.onnx"), "-o", model, "--zeroq");
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains("BatchNormalization", r.Err);
        Assert.Single(r.Err.TrimEnd().Split('\n'));
        Assert.False(File.Exists(model));
    }

    [Fact]
    public void ZeroQ_UnknownMode_ExitsTwo()
    {
        var r = CliRunner.Run("calibrate", TestPaths.Fixture("vit_prepbn.onnx"), "-o", Path.Combine(_dir, "m.edgn"), "--zeroq", "--zeroq-mode", "layer");
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains("--zeroq-mode layer", r.Err);
    }
}
