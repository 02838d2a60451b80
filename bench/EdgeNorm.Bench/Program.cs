using System.Globalization;
using System.Text;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using EdgeNorm.Bench;

// dotnet run --project bench/EdgeNorm.Bench -c Release -- [--out gemm.md] [--mac-per-cycle 128] [--ghz F] [--filter *Ort*]
// Runs the three GEMM suites in process (short job: 1 launch, 3 warm-ups, 5 iterations) and writes a markdown table:
// GMAC/s per shape and path, and % of peak = GMAC/s / (f·MAC/cycle) (docs/performance.md, runtime-perf.md §3.6).
string? outPath = Arg("--out");
double macPerCycle = double.Parse(Arg("--mac-per-cycle") ?? "128", CultureInfo.InvariantCulture);
double ghz = Arg("--ghz") is { } g ? double.Parse(g, CultureInfo.InvariantCulture) : CpuGhz();
var job = Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithLaunchCount(1).WithWarmupCount(3).WithIterationCount(5)
    .WithMinIterationTime(Perfolizer.Horology.TimeInterval.FromMilliseconds(150));
var config = ManualConfig.CreateMinimumViable().AddJob(job).WithOptions(ConfigOptions.DisableLogFile);
if (Arg("--filter") is { } f) config = config.AddFilter(new BenchmarkDotNet.Filters.GlobFilter([f]));
var summaries = BenchmarkRunner.Run([typeof(EdgeNormGemm), typeof(OrtMatMulInteger), typeof(FloatTensorPrimitives)], config);

// (shape, column) → median seconds
var results = new Dictionary<(string Shape, string Column), double>();
foreach (var s in summaries)
    foreach (var r in s.Reports.Where(r => r.ResultStatistics is not null))
    {
        var p = r.BenchmarkCase.Parameters;
        string column = r.BenchmarkCase.Descriptor.Type.Name switch
        {
            nameof(EdgeNormGemm) => "EdgeNorm " + p["Path"],
            nameof(OrtMatMulInteger) => "ORT MatMulInteger",
            _ => "fp32 TensorPrimitives",
        };
        results[((string)p["Shape"], column)] = r.ResultStatistics!.Median * 1e-9;
    }
var columns = results.Keys.Select(k => k.Column).Distinct().OrderBy(c => c.StartsWith("EdgeNorm", StringComparison.Ordinal) ? 0 : c.StartsWith("ORT", StringComparison.Ordinal) ? 1 : 2).ThenBy(c => c).ToList();
double peak = ghz * macPerCycle;
var md = new StringBuilder();
md.AppendLine(CultureInfo.InvariantCulture, $"GMAC/s, one thread (median of {job.Run.IterationCount} iterations); in brackets % of the int8 peak {peak:F0} GMAC/s = {ghz:F2} GHz × {macPerCycle:F0} MAC/cycle.");
md.AppendLine();
md.AppendLine("| model | M×K×N | " + string.Join(" | ", columns) + " |");
md.AppendLine("|---|---|" + string.Concat(columns.Select(_ => "---:|")));
foreach (var shape in GemmShape.All)
{
    var cells = columns.Select(c => results.TryGetValue((shape.ToString(), c), out var t)
        ? string.Create(CultureInfo.InvariantCulture, $"{shape.Macs / t / 1e9:F1} ({100 * shape.Macs / t / 1e9 / peak:F0} %)") : "—");
    md.AppendLine($"| {shape.Model} | {shape.M}×{shape.K}×{shape.N} | " + string.Join(" | ", cells) + " |");
}
Console.WriteLine(md);
if (outPath is not null) File.WriteAllText(outPath, md.ToString());
return 0;

string? Arg(string name)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

// Nominal clock: "cpu MHz" of /proc/cpuinfo (the first core), else 3.0 GHz.
static double CpuGhz()
{
    try
    {
        foreach (var line in File.ReadLines("/proc/cpuinfo"))
            if (line.StartsWith("cpu MHz", StringComparison.Ordinal))
                return double.Parse(line[(line.IndexOf(':') + 1)..].Trim(), CultureInfo.InvariantCulture) / 1000;
    }
    catch (IOException) { }
    return 3.0;
}
