using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using EdgeNorm.Bench.Compare;

// dotnet run --project bench/EdgeNorm.Compare -c Release -- --model deit|PATH.onnx [--threads 1,2] [--rounds 3]
//     [--iterations 20] [--warmup 3] [--calib 8] [--work DIR] [--reuse] [--out results.jsonl] [--markdown table.md] [--profile]
// Prepares the four models once (EdgeNorm .edgn calibrated on random normal inputs, ORT fp32 = the ONNX itself, ORT
// int8 dynamic = DynamicQuantizeMatMul rewrite, ORT int8 QDQ = export-qdq of the same calibration), then per thread
// count runs the engines interleaved A B C D A B C D …, each run in a fresh process, batch 1. Prints one JSON line per
// engine (p50/p90 latency over all rounds, inferences/s, peak RSS) and one line of ratios.
if (Args.Has(args, "--worker")) return Worker.Run(args);

string model = Args.Get(args, "--model") ?? "deit";
int[] threads = (Args.Get(args, "--threads") ?? "1").Split(',').Select(int.Parse).ToArray();
int rounds = Args.Int(args, "--rounds", 3), iterations = Args.Int(args, "--iterations", 20), warmup = Args.Int(args, "--warmup", 3);
string work = Args.Get(args, "--work") ?? Path.Combine(Path.GetTempPath(), "edgenorm-compare");
string? outPath = Args.Get(args, "--out");
Directory.CreateDirectory(work);

var files = Preparation.Prepare(model, work, Args.Int(args, "--calib", 8), Console.Error, Args.Has(args, "--reuse"));
var profile = Args.Has(args, "--profile") ? Worker.Profile(files.Edgn, iterations) : [];
foreach (var (op, ms, share) in profile)
    Emit(new Dictionary<string, object> { ["model"] = files.Name, ["profile"] = op, ["ms_per_inference"] = Math.Round(ms, 3), ["share"] = Math.Round(share, 3) });
var table = new List<(int Threads, string Engine, double P50, double P90, double Cpu, double Rss, bool Applied)>();

string[] engines = ["edgenorm-int8", "ort-fp32", "ort-int8-dynamic", "ort-int8-qdq"];
foreach (int t in threads)
{
    var samples = engines.ToDictionary(e => e, _ => new List<double>());
    var rss = engines.ToDictionary(e => e, _ => 0L);
    var cpu = engines.ToDictionary(e => e, _ => new List<double>());
    var applied = engines.ToDictionary(e => e, _ => true);
    for (int r = 0; r < rounds; r++)
        foreach (var engine in engines)
        {
            var result = RunWorker(engine, files.For(engine), t, iterations, warmup);
            samples[engine].AddRange(result.GetProperty("latencies_ms").EnumerateArray().Select(v => v.GetDouble()));
            rss[engine] = Math.Max(rss[engine], result.GetProperty("vmhwm_kb").GetInt64());
            cpu[engine].Add(result.GetProperty("cpu_ms_per_inference").GetDouble());
            applied[engine] &= result.GetProperty("threads_applied").GetBoolean();
        }
    var p50 = new Dictionary<string, double>();
    foreach (var engine in engines)
    {
        var s = samples[engine].Order().ToArray();
        p50[engine] = Percentile(s, 0.5);
        double cpuMs = cpu[engine].Order().ToArray() is { Length: > 0 } c ? Percentile(c, 0.5) : double.NaN;
        table.Add((t, engine, p50[engine], Percentile(s, 0.9), cpuMs, rss[engine] / 1024.0, applied[engine]));
        Emit(new Dictionary<string, object>
        {
            ["model"] = files.Name, ["engine"] = engine, ["threads"] = t, ["threads_applied"] = applied[engine], ["batch"] = 1,
            ["runs"] = s.Length, ["p50_ms"] = Math.Round(p50[engine], 3), ["p90_ms"] = Math.Round(Percentile(s, 0.9), 3),
            ["inferences_per_s"] = Math.Round(1000 / p50[engine], 2), ["cpu_ms_per_inference"] = Math.Round(table[^1].Cpu, 2),
            ["peak_rss_mb"] = Math.Round(rss[engine] / 1024.0, 1),
        });
    }
    Emit(new Dictionary<string, object>
    {
        ["model"] = files.Name, ["threads"] = t, ["ratio"] = "edgenorm p50 / engine p50",
        ["vs_ort_fp32"] = Math.Round(p50["edgenorm-int8"] / p50["ort-fp32"], 3),
        ["vs_ort_int8_dynamic"] = Math.Round(p50["edgenorm-int8"] / p50["ort-int8-dynamic"], 3),
        ["vs_ort_int8_qdq"] = Math.Round(p50["edgenorm-int8"] / p50["ort-int8-qdq"], 3),
    });
}
if (Args.Get(args, "--markdown") is { } mdPath) File.WriteAllText(mdPath, Markdown.Table(files.Name, table, profile, rounds, iterations));
return 0;

void Emit(Dictionary<string, object> line)
{
    string json = JsonSerializer.Serialize(line);
    Console.WriteLine(json);
    if (outPath is not null) File.AppendAllText(outPath, json + "\n");
}

static double Percentile(double[] sorted, double q) =>
    sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Floor(q * (sorted.Length - 1) + 0.5))];

static JsonElement RunWorker(string engine, string file, int threads, int iterations, int warmup)
{
    var psi = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, RedirectStandardError = true };
    // Under `dotnet run`/`dotnet X.dll` the process path is the muxer: pass the entry assembly too.
    if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet") psi.ArgumentList.Add(typeof(Worker).Assembly.Location);
    foreach (var a in new[] { "--worker", engine, "--file", file, "--threads", threads.ToString(CultureInfo.InvariantCulture),
                 "--iterations", iterations.ToString(CultureInfo.InvariantCulture), "--warmup", warmup.ToString(CultureInfo.InvariantCulture) })
        psi.ArgumentList.Add(a);
    using var p = Process.Start(psi)!;
    string stdout = p.StandardOutput.ReadToEnd(), stderr = p.StandardError.ReadToEnd();
    p.WaitForExit();
    if (p.ExitCode != 0) throw new InvalidOperationException($"{engine} worker failed (exit {p.ExitCode}): {stderr.Trim()}");
    return JsonDocument.Parse(stdout.Trim().Split('\n')[^1]).RootElement.Clone();
}
