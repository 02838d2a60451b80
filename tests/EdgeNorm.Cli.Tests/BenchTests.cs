using System.Diagnostics;
using System.Text.Json;
using Xunit;

namespace EdgeNorm.Cli.Tests;

/// <summary>`edgenorm bench`: JSON fields present and consistent, the per-op profile adds up, pinning, and the error cases.</summary>
public sealed class BenchTests
{
    private static JsonElement Bench(params string[] extra)
    {
        var r = CliRunner.Run(["bench", BundleTestModels.Calibrated, "--json", .. extra]);
        Assert.True(r.ExitCode == 0, r.ToString());
        using var doc = JsonDocument.Parse(r.Out);
        return doc.RootElement.Clone();
    }

    [Fact]
    public void Json_HasEveryField_WithSaneValues()
    {
        var j = Bench("--iterations", "30", "--warmup", "3");
        double p50 = j.GetProperty("p50_ms").GetDouble(), p90 = j.GetProperty("p90_ms").GetDouble(), p99 = j.GetProperty("p99_ms").GetDouble();
        Assert.True(0 < j.GetProperty("min_ms").GetDouble() && j.GetProperty("min_ms").GetDouble() <= p50 && p50 <= p90 && p90 <= p99
                    && p99 <= j.GetProperty("max_ms").GetDouble(), j.ToString());
        Assert.Equal(30, j.GetProperty("iterations").GetInt32());
        // inferences/s is runs over the wall time of the timed loop, which also holds the latencies.
        double perSecond = j.GetProperty("inferences_per_s").GetDouble();
        Assert.InRange(perSecond, 0.5 * 1000 / j.GetProperty("max_ms").GetDouble(), 1000 / j.GetProperty("min_ms").GetDouble() * 1.01);
        Assert.Equal(new FileInfo(BundleTestModels.Calibrated).Length, j.GetProperty("model_bytes").GetInt64());
        Assert.InRange(j.GetProperty("peak_rss_bytes").GetInt64(), 1L << 20, 1L << 40);
        Assert.True(j.GetProperty("arena_bytes").GetInt64() > 0);
        Assert.Equal(1, j.GetProperty("threads").GetInt32());
        Assert.False(string.IsNullOrEmpty(j.GetProperty("isa").GetString()));
        double load = j.GetProperty("load_ms").GetDouble(), first = j.GetProperty("first_result_ms").GetDouble();
        Assert.True(0 < load && load <= first, j.ToString());
        // In-process the "process" started with the test host, long before this model was loaded.
        Assert.True(j.GetProperty("cold_start_ms").GetDouble() + j.GetProperty("cold_start_resolution_ms").GetDouble() >= first, j.ToString());
        Assert.Equal(JsonValueKind.Null, j.GetProperty("affinity").ValueKind);
        Assert.False(j.TryGetProperty("profile", out _));
    }

    [Fact]
    public void Threads_AreUsed_AndReported()
    {
        var j = Bench("--iterations", "10", "--warmup", "1", "--threads", "2");
        Assert.Equal(2, j.GetProperty("threads").GetInt32());
    }

    [Fact]
    public void Duration_RunsForAboutThatLong()
    {
        var j = Bench("--duration", "0.3", "--warmup", "1");
        Assert.InRange(j.GetProperty("duration_s").GetDouble(), 0.3, 5);
        Assert.True(j.GetProperty("iterations").GetInt32() >= 1);
    }

    [Fact]
    public void Profile_HasARowPerOp_WhoseTimesAddUpToTheTimedRuns()
    {
        var j = Bench("--iterations", "40", "--warmup", "2", "--profile");
        var rows = j.GetProperty("profile").EnumerateArray().ToList();
        Assert.True(rows.Count >= 5, j.ToString());
        Assert.All(rows, row => Assert.Equal(40, row.GetProperty("calls").GetInt64())); // warm-up is not counted
        Assert.Contains(rows, row => row.GetProperty("type").GetString() == "QLinear" || row.GetProperty("type").GetString()!.Length > 0);
        Assert.DoesNotContain(rows, row => row.GetProperty("type").GetString() == "?");
        double sum = rows.Sum(row => row.GetProperty("total_ms").GetDouble());
        Assert.Equal(sum, j.GetProperty("profile_total_ms").GetDouble(), 3);
        Assert.Equal(100, rows.Sum(row => row.GetProperty("percent").GetDouble()), 0);
        // The ops are most of each timed run; the rest is quantising the input and dequantising the output.
        double timed = j.GetProperty("timed_total_ms").GetDouble();
        Assert.InRange(sum, 0.5 * timed, timed);
    }

    [Fact]
    public void Text_ShowsLatencyColdStartAndTheProfileTable()
    {
        var r = CliRunner.Run("bench", BundleTestModels.Calibrated, "--iterations", "5", "--warmup", "1", "--profile");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("inferences/s", r.Out);
        Assert.Contains("cold start: first result", r.Out);
        Assert.Contains("total (ops)", r.Out);
        Assert.Contains("mean µs", r.Out);
    }

    [Fact]
    public void Affinity_PinsTheProcess_ToTheGivenCpu()
    {
        // A separate process: pinning is process-wide, so not in the test host.
        var psi = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "edgenorm")) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "bench", BundleTestModels.Calibrated, "--iterations", "5", "--warmup", "1", "--affinity", "0", "--json" })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string o = p.StandardOutput.ReadToEnd(), e = p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(120_000));
        Assert.True(p.ExitCode == 0, e);
        using var doc = JsonDocument.Parse(o);
        Assert.Equal("0", doc.RootElement.GetProperty("affinity").GetString());
        Assert.Equal("0", doc.RootElement.GetProperty("cpus_allowed").GetString());
        // A fresh process: the cold start is real here (JIT build, so well under a few seconds but not 0).
        Assert.InRange(doc.RootElement.GetProperty("cold_start_ms").GetDouble(), 1, 30_000);
    }

    [Theory]
    [InlineData("--iterations", "0")]
    [InlineData("--warmup", "-1")]
    [InlineData("--duration", "0")]
    [InlineData("--affinity", "3-1")]
    [InlineData("--affinity", "zero")]
    [InlineData("--affinity", "100000")]
    [InlineData("--iterations", "5", "--duration", "1")]
    [InlineData("--threads", "0")]
    public void BadOptions_ExitTwo_WithOneLine(params string[] options)
    {
        var r = CliRunner.Run(["bench", BundleTestModels.Calibrated, .. options]);
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Single(r.Err.TrimEnd().Split('\n'));
        Assert.Equal("", r.Out);
    }

    [Fact]
    public void MissingModel_ExitsTwo()
    {
        var r = CliRunner.Run("bench", Path.Combine(Path.GetTempPath(), "edgenorm-no-such-model.edgn"));
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains("no such file", r.Err);
    }
}
