using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using EdgeNorm.Cli.Bench;
using EdgeNorm.Model;
using EdgeNorm.Model.Format;
using EdgeNorm.Model.Ir;
using EdgeNorm.Runtime;
using EdgeNorm.Runtime.Platform;

namespace EdgeNorm.Cli.Verbs;

/// <summary>
/// `edgenorm bench M.edgn [--warmup N] [--iterations N | --duration S] [--threads N] [--affinity CPUS] [--profile] [--json]`:
/// single-sample latency of the integer executor on a zero input (the integer path's cost does not depend on the
/// values): p50/p90/p99, inferences/s, peak RSS, model bytes, cold start (process start → first result), the ISA
/// path, and with --profile a per-op time table. How to measure on a board: docs/benchmarking.md.
/// </summary>
internal static class BenchVerb
{
    public static Command Create(TextWriter o, TextWriter e)
    {
        var model = new Argument<string>("model") { Description = "M.edgn" };
        var threads = new Option<int>("--threads") { Description = "threads per inference (the caller + N-1 workers)", DefaultValueFactory = _ => 1 };
        var warmup = new Option<int>("--warmup") { Description = "warm-up inferences (not timed)", DefaultValueFactory = _ => 10 };
        var iterations = new Option<int?>("--iterations") { Description = "timed inferences (default 200)" };
        var duration = new Option<double?>("--duration") { Description = "time inferences for this many seconds instead of a count" };
        var affinity = new Option<string>("--affinity") { Description = "pin the threads to these CPUs, e.g. 0-3 or 2 (Linux)" };
        var profile = new Option<bool>("--profile") { Description = "per-op time table (op, type, calls, total ms, %)" };
        var json = new Option<bool>("--json") { Description = "one JSON object on stdout" };
        var cmd = new Command("bench", "Latency percentiles, inferences/s, peak RSS, cold start, model bytes, ISA path; --profile per op.")
            { model, threads, warmup, iterations, duration, affinity, profile, json };
        cmd.SetAction(r =>
        {
            string path = r.GetValue(model)!;
            int t = r.GetValue(threads), w = r.GetValue(warmup);
            int? n = r.GetValue(iterations);
            double? seconds = r.GetValue(duration);
            if (w < 0 || n is < 1 || seconds is not null and not (> 0 and <= 86_400))
            {
                e.WriteLine("edgenorm bench: --warmup must be ≥ 0, --iterations ≥ 1 and --duration in (0, 86400] seconds");
                return CliApp.BadInput;
            }
            if (n is not null && seconds is not null)
            {
                e.WriteLine("edgenorm bench: give --iterations or --duration, not both");
                return CliApp.BadInput;
            }
            if (!File.Exists(path)) throw new EdgeNormException($"{path}: no such file");
            var cpus = r.GetValue(affinity) is { } list ? CpuAffinity.Parse(list) : null;
            var pinned = cpus is null ? null : CpuAffinity.Pin(cpus); // before the session starts its threads
            try
            {
                var result = Measure(path, t, w, n ?? (seconds is null ? 200 : null), seconds, r.GetValue(profile));
                if (r.GetValue(json)) WriteJson(o, path, result, t, w, cpus);
                else WriteText(o, path, result, t, w, cpus);
            }
            finally
            {
                if (pinned is not null) CpuAffinity.Restore(pinned);
            }
            return CliApp.Ok;
        });
        return cmd;
    }

    private sealed record Result(LatencyStats Latency, long ModelBytes, long ArenaBytes, long PeakRss, string Isa,
        double LoadMs, double FirstResultMs, double? ColdStartMs, double ColdStartResolutionMs, ProfileRow[]? Profile);

    private sealed record ProfileRow(string Name, string Type, long Calls, double TotalMs);

    private static Result Measure(string path, int threads, int warmup, int? iterations, double? seconds, bool profile)
    {
        long loadStart = Stopwatch.GetTimestamp();
        var m = EdgeNormModel.Load(path);
        using var session = m.CreateSession(new SessionOptions { Threads = threads }); // bad count -> SessionConfigurationException -> exit 2
        double loadMs = Stopwatch.GetElapsedTime(loadStart).TotalMilliseconds;
        var floats = m.Inputs.Select(i => new float[i.SampleElements]).ToArray();
        var longs = m.Inputs.Select(i => new long[i.SampleElements]).ToArray();
        var outputs = m.Outputs.Select(x => new float[x.SampleElements]).ToArray();
        void Once()
        {
            for (int i = 0; i < m.Inputs.Count; i++)
            {
                if (m.Inputs[i].ExternalType == DataType.Float32) session.SetInput(m.Inputs[i].Name, floats[i]);
                else session.SetInput(m.Inputs[i].Name, longs[i]);
            }
            session.Run(1);
            for (int i = 0; i < m.Outputs.Count; i++) session.GetOutput(m.Outputs[i].Name, outputs[i]);
        }

        // Cold start: the first result of a fresh process (taken before any warm-up).
        Once();
        double firstResultMs = Stopwatch.GetElapsedTime(loadStart).TotalMilliseconds;
        double? coldStartMs = ProcessClock.SinceStartMs();

        for (int i = 1; i < warmup; i++) Once();
        var opProfile = profile ? session.EnableProfiling() : null;
        var ticks = new List<long>(iterations ?? 4096);
        long limit = seconds is { } s ? (long)(s * Stopwatch.Frequency) : long.MaxValue;
        long total = Stopwatch.GetTimestamp();
        while (iterations is { } count ? ticks.Count < count : Stopwatch.GetTimestamp() - total < limit || ticks.Count == 0)
        {
            long start = Stopwatch.GetTimestamp();
            Once();
            ticks.Add(Stopwatch.GetTimestamp() - start);
        }
        double wall = Stopwatch.GetElapsedTime(total).TotalSeconds;

        ProfileRow[]? rows = null;
        if (opProfile is not null)
        {
            using var file = EdgnModel.Open(path);
            var types = file.Header.Nodes.ToDictionary(x => x.Name, x => x.OpType, StringComparer.Ordinal);
            rows = opProfile.OpNames.Select((name, i) => new ProfileRow(name, types.GetValueOrDefault(name, "?"), opProfile.Calls(i),
                opProfile.Ticks(i) * 1000.0 / Stopwatch.Frequency)).ToArray();
        }
        string isa = KernelPaths.Name(session.KernelPath); // chosen once by the session: EDGENORM_KERNELS or the best usable path
        return new Result(new LatencyStats(ticks, wall), new FileInfo(path).Length, session.ArenaBytes, PeakRss(), isa,
            loadMs, firstResultMs, coldStartMs, ProcessClock.ResolutionMs, rows);
    }

    private static void WriteJson(TextWriter o, string path, Result r, int threads, int warmup, SortedSet<int>? cpus)
    {
        var l = r.Latency;
        using var j = JsonOut.Begin(o);
        j.WriteString("model", path);
        j.WriteNumber("model_bytes", r.ModelBytes);
        j.WriteString("isa", r.Isa);
        j.WriteNumber("threads", threads);
        j.WriteNumber("batch", 1);
        j.WriteNumber("warmup", warmup);
        j.WriteNumber("iterations", l.Count);
        j.WriteNumber("duration_s", Round(l.WallSeconds, 6));
        j.WriteNumber("p50_ms", Round(l.Percentile(0.50)));
        j.WriteNumber("p90_ms", Round(l.Percentile(0.90)));
        j.WriteNumber("p99_ms", Round(l.Percentile(0.99)));
        j.WriteNumber("mean_ms", Round(l.Mean));
        j.WriteNumber("min_ms", Round(l.Min));
        j.WriteNumber("max_ms", Round(l.Max));
        j.WriteNumber("inferences_per_s", Round(l.PerSecond, 2));
        j.WriteNumber("peak_rss_bytes", r.PeakRss);
        j.WriteNumber("arena_bytes", r.ArenaBytes);
        j.WriteNumber("load_ms", Round(r.LoadMs));
        j.WriteNumber("first_result_ms", Round(r.FirstResultMs));
        if (r.ColdStartMs is { } c) j.WriteNumber("cold_start_ms", Round(c, 1));
        else j.W.WriteNull("cold_start_ms");
        j.WriteNumber("cold_start_resolution_ms", Round(r.ColdStartResolutionMs, 1));
        j.WriteBoolean("native_aot", !System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeSupported);
        if (cpus is null) j.W.WriteNull("affinity");
        else j.WriteString("affinity", string.Join(',', cpus));
        j.WriteString("cpus_allowed", CpuAffinity.AllowedList());
        if (r.Profile is { } rows)
        {
            double sum = rows.Sum(x => x.TotalMs);
            j.W.WriteStartArray("profile");
            foreach (var row in rows)
            {
                j.W.WriteStartObject();
                j.W.WriteString("op", row.Name);
                j.W.WriteString("type", row.Type);
                j.W.WriteNumber("calls", row.Calls);
                j.W.WriteNumber("total_ms", Round(row.TotalMs, 6));
                j.W.WriteNumber("percent", Round(sum > 0 ? 100 * row.TotalMs / sum : 0, 3));
                j.W.WriteEndObject();
            }
            j.W.WriteEndArray();
            j.WriteNumber("profile_total_ms", Round(sum, 6));
            j.WriteNumber("timed_total_ms", Round(l.Sum, 6));
        }
    }

    private static void WriteText(TextWriter o, string path, Result r, int threads, int warmup, SortedSet<int>? cpus)
    {
        var l = r.Latency;
        var inv = CultureInfo.InvariantCulture;
        o.WriteLine(string.Create(inv,
            $"{path}: p50 {l.Percentile(0.5):F3} ms, p90 {l.Percentile(0.9):F3} ms, p99 {l.Percentile(0.99):F3} ms, {l.PerSecond:F0} inferences/s (batch 1, {l.Count} runs in {l.WallSeconds:F2} s after {warmup} warm-up)"));
        string pinned = cpus is null ? "" : $", pinned to CPUs {string.Join(',', cpus)}";
        o.WriteLine(string.Create(inv,
            $"peak RSS {r.PeakRss:N0} bytes, model {r.ModelBytes:N0} bytes, arena {r.ArenaBytes:N0} bytes, threads {threads}, isa {r.Isa}{pinned}"));
        o.WriteLine(string.Create(inv,
            $"cold start: first result {(r.ColdStartMs is { } c ? $"{c:F0} ms after process start (±{r.ColdStartResolutionMs:F0} ms)" : "n/a")}; load + session {r.LoadMs:F2} ms, load → first result {r.FirstResultMs:F2} ms"));
        if (r.Profile is not { } rows) return;
        double sum = rows.Sum(x => x.TotalMs);
        int width = Math.Max(2, rows.Max(x => x.Name.Length));
        int typeWidth = Math.Max(4, rows.Max(x => x.Type.Length));
        o.WriteLine();
        o.WriteLine($"{"op".PadRight(width)}  {"type".PadRight(typeWidth)}  {"calls",8}  {"total ms",10}  {"mean µs",9}  {"%",6}");
        foreach (var row in rows.OrderByDescending(x => x.TotalMs))
            o.WriteLine(string.Create(inv,
                $"{row.Name.PadRight(width)}  {row.Type.PadRight(typeWidth)}  {row.Calls,8}  {row.TotalMs,10:F3}  {(row.Calls > 0 ? 1000 * row.TotalMs / row.Calls : 0),9:F2}  {(sum > 0 ? 100 * row.TotalMs / sum : 0),6:F2}"));
        o.WriteLine(string.Create(inv,
            $"{"total (ops)".PadRight(width)}  {"".PadRight(typeWidth)}  {"",8}  {sum,10:F3}  {"",9}  {100,6:F2}   (timed runs: {l.Sum:F3} ms, incl. input/output conversion)"));
    }

    private static double Round(double v, int digits = 4) => Math.Round(v, digits);

    private static long PeakRss()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return long.Parse(line[6..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return Process.GetCurrentProcess().PeakWorkingSet64;
    }
}
