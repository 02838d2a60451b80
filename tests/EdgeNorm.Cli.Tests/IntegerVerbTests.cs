using EdgeNorm.Model.Npy;
using EdgeNorm.Tests;
using Xunit;

namespace EdgeNorm.Cli.Tests;

/// <summary>calibrate → run → eval on a real fixture, and the refusals of calibrate.</summary>
public sealed class IntegerVerbTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgenorm-int-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Calibrate_WithoutData_ExitsTwo_AndSaysWhatToPass()
    {
        var r = CliRunner.Run("calibrate", TestPaths.Fixture("vit_prepbn.onnx"), "-o", Path.Combine(_dir, "m.edgn"));
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains("--data", r.Err);
        Assert.Contains("--zeroq", r.Err);
        Assert.False(File.Exists(Path.Combine(_dir, "m.edgn")));
    }

    [Fact]
    public void Run_MissingModel_ExitsTwo()
    {
        var r = CliRunner.Run("run", Path.Combine(_dir, "none.edgn"), "--input", TestPaths.Fixture("digits_calib_x.npy"));
        Assert.True(r.ExitCode == 2, r.ToString());
    }

    [Fact]
    public void CalibrateRunEval_OnVitPrepbn()
    {
        string model = Path.Combine(_dir, "m.edgn"), y = Path.Combine(_dir, "y.npy");
        var c = CliRunner.Run("calibrate", TestPaths.Fixture("vit_prepbn.onnx"), "-o", model, "--data", TestPaths.Fixture("digits_calib_x.npy"), "--samples", "128", "--seed", "3");
        Assert.True(c.ExitCode == 0, c.ToString());

        var v = CliRunner.Run("verify", model);
        Assert.True(v.ExitCode == 0, v.ToString());
        Assert.Contains("reproduced bit-exactly", v.Out);

        var r = CliRunner.Run("run", model, "--input", TestPaths.Fixture("digits_calib_x.npy"), "--output", y);
        Assert.True(r.ExitCode == 0, r.ToString());
        var logits = Npy.ReadTensor(y);
        Assert.Equal([256, 10], logits.Shape);

        var bad = CliRunner.Run("run", model, "--input", TestPaths.Fixture("digits_test_y.npy"));
        Assert.True(bad.ExitCode == 2, bad.ToString());

        var b = CliRunner.Run("bench", model, "--iterations", "20", "--warmup", "2", "--json");
        Assert.True(b.ExitCode == 0, b.ToString());
        using (var bench = System.Text.Json.JsonDocument.Parse(b.Out))
        {
            foreach (var field in new[] { "p50_ms", "p90_ms", "p99_ms", "inferences_per_s", "peak_rss_bytes", "model_bytes", "threads", "isa" })
                Assert.True(bench.RootElement.TryGetProperty(field, out _), field);
            Assert.Equal(new FileInfo(model).Length, bench.RootElement.GetProperty("model_bytes").GetInt64());
        }

        var e = CliRunner.Run("eval", model, "--data", TestPaths.Fixture("digits_test_x.npy"), "--labels", TestPaths.Fixture("digits_test_y.npy"), "--json");
        Assert.True(e.ExitCode == 0, e.ToString());
        using var doc = System.Text.Json.JsonDocument.Parse(e.Out);
        Assert.Equal(3573, doc.RootElement.GetProperty("n").GetInt32());
        Assert.InRange(doc.RootElement.GetProperty("top1").GetDouble(), 0.9290, 1.0); // float 0.9440, budget 1.5 pp
    }
}
