using System.CommandLine;
using System.Diagnostics;
using EdgeNorm.Model;
using EdgeNorm.Model.Ir;
using EdgeNorm.Runtime;

namespace EdgeNorm.Cli.Verbs;

/// <summary>
/// `edgenorm bench M.edgn [--threads N] [--warmup N] [--iterations N] [--json]`: single-sample latency of the
/// integer executor on a zero input (the integer path's cost does not depend on the values).
/// </summary>
internal static class BenchVerb
{
    /// <summary>The kernel path the executor runs in this build.</summary>
    public const string Isa = "scalar-reference";

    public static Command Create(TextWriter o, TextWriter e)
    {
        var model = new Argument<string>("model") { Description = "M.edgn" };
        var threads = new Option<int>("--threads") { Description = "worker threads (1 in this build)", DefaultValueFactory = _ => 1 };
        var warmup = new Option<int>("--warmup") { Description = "warm-up inferences", DefaultValueFactory = _ => 10 };
        var iterations = new Option<int>("--iterations") { Description = "timed inferences", DefaultValueFactory = _ => 200 };
        var json = new Option<bool>("--json") { Description = "one JSON object on stdout" };
        var cmd = new Command("bench", "Latency percentiles, inferences/s, peak RSS, model bytes, ISA path.") { model, threads, warmup, iterations, json };
        cmd.SetAction(r =>
        {
            string path = r.GetValue(model)!;
            int t = r.GetValue(threads), w = r.GetValue(warmup), n = r.GetValue(iterations);
            if (t != 1)
            {
                e.WriteLine($"edgenorm bench: --threads {t} is not available yet in this build (the executor runs on one thread)");
                return CliApp.BadInput;
            }
            if (w < 0 || n < 1)
            {
                e.WriteLine("edgenorm bench: --warmup must be ≥ 0 and --iterations ≥ 1");
                return CliApp.BadInput;
            }
            if (!File.Exists(path)) throw new EdgeNormException($"{path}: no such file");
            var m = EdgeNormModel.Load(path);
            var session = m.CreateSession();
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
            for (int i = 0; i < w; i++) Once();
            var ms = new double[n];
            var total = Stopwatch.StartNew();
            for (int i = 0; i < n; i++)
            {
                long start = Stopwatch.GetTimestamp();
                Once();
                ms[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }
            double seconds = total.Elapsed.TotalSeconds;
            Array.Sort(ms);
            double P(double q) => ms[Math.Min(n - 1, (int)Math.Ceiling(q * n) - 1)];
            long rss = PeakRss();
            long bytes = new FileInfo(path).Length;
            if (r.GetValue(json))
            {
                using var j = JsonOut.Begin(o);
                j.WriteNumber("p50_ms", P(0.50));
                j.WriteNumber("p90_ms", P(0.90));
                j.WriteNumber("p99_ms", P(0.99));
                j.WriteNumber("inferences_per_s", n / seconds);
                j.WriteNumber("peak_rss_bytes", rss);
                j.WriteNumber("model_bytes", bytes);
                j.WriteNumber("threads", t);
                j.WriteString("isa", Isa);
                j.WriteNumber("batch", 1);
                j.WriteNumber("iterations", n);
                j.WriteNumber("arena_bytes", session.ArenaBytes);
            }
            else
            {
                o.WriteLine(FormattableString.Invariant(
                    $"{path}: p50 {P(0.5):F3} ms, p90 {P(0.9):F3} ms, p99 {P(0.99):F3} ms, {n / seconds:F0} inferences/s (batch 1, {n} runs after {w} warm-up)"));
                o.WriteLine(FormattableString.Invariant(
                    $"peak RSS {rss:N0} bytes, model {bytes:N0} bytes, arena {session.ArenaBytes:N0} bytes, threads {t}, isa {Isa}"));
            }
            return CliApp.Ok;
        });
        return cmd;
    }

    private static long PeakRss()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return long.Parse(line[6..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return Process.GetCurrentProcess().PeakWorkingSet64;
    }
}
