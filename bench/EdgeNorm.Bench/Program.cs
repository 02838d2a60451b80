using System.Globalization;
using System.Text;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using EdgeNorm.Bench;
using EdgeNorm.Runtime.Platform;

// dotnet run --project bench/EdgeNorm.Bench -c Release -- [--out gemm.md] [--mac-per-cycle N] [--ghz F] [--filter *Ort*] [--quick]
// Runs the three GEMM suites in process (short job: 1 launch, 3 warm-ups, 5 iterations of ≥ 150 ms; --quick: 1 warm-up,
// 3 iterations of ≥ 100 ms) and writes a markdown table: GMAC/s per shape and path, each EdgeNorm path as % of its
// measured instruction ceiling on this CPU (Ceiling.cs), and — with --mac-per-cycle — % of the nominal peak
// f·MAC/cycle (docs/performance.md, runtime-perf.md §3.6).
string? outPath = Arg("--out");
double? macPerCycle = Arg("--mac-per-cycle") is { Length: > 0 } mpc ? double.Parse(mpc, CultureInfo.InvariantCulture) : null;
double ghz = Arg("--ghz") is { } g ? double.Parse(g, CultureInfo.InvariantCulture) : CpuGhz();
bool quick = args.Contains("--quick");
var ceilings = KernelPaths.Usable.Where(p => p != KernelPath.Scalar).ToDictionary(KernelPaths.Name, Ceiling.Measure);
var job = Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithLaunchCount(1).WithWarmupCount(quick ? 1 : 3).WithIterationCount(quick ? 3 : 5)
    .WithMinIterationTime(Perfolizer.Horology.TimeInterval.FromMilliseconds(quick ? 100 : 150));
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
var md = new StringBuilder();
md.AppendLine(string.Create(CultureInfo.InvariantCulture, $"GMAC/s, one thread (median of {job.Run.IterationCount} iterations). In brackets, for each EdgeNorm path: % of that path's measured instruction ceiling here (its multiply-add + add, 8 independent accumulators, no memory: `bench/EdgeNorm.Bench/Ceiling.cs`)") +
    (macPerCycle is { } m ? string.Create(CultureInfo.InvariantCulture, $", then % of the nominal peak {ghz * m:F1} GMAC/s = {ghz:F2} GHz (/proc/cpuinfo) × {m:F0} MAC/cycle") : "") + ".");
md.AppendLine();
md.AppendLine("Measured ceilings: " + string.Join(", ", ceilings.Select(kv => kv.Value is { } v
    ? string.Create(CultureInfo.InvariantCulture, $"{kv.Key} {v:F1} GMAC/s") : $"{kv.Key} not probed")) + ".");
md.AppendLine();
md.AppendLine("| model | M×K×N | " + string.Join(" | ", columns) + " |");
md.AppendLine("|---|---|" + string.Concat(columns.Select(_ => "---:|")));
foreach (var shape in GemmShape.All)
{
    var cells = columns.Select(c => results.TryGetValue((shape.ToString(), c), out var t) ? Cell(c, shape.Macs / t / 1e9) : "—");
    md.AppendLine($"| {shape.Model} | {shape.M}×{shape.K}×{shape.N} | " + string.Join(" | ", cells) + " |");
}
Console.WriteLine(md);
if (outPath is not null) File.WriteAllText(outPath, md.ToString());
return 0;

string Cell(string column, double gmacs)
{
    var c = CultureInfo.InvariantCulture;
    string path = column.StartsWith("EdgeNorm ", StringComparison.Ordinal) ? column["EdgeNorm ".Length..] : "";
    var notes = new List<string>();
    if (ceilings.TryGetValue(path, out var ceiling) && ceiling is { } v) notes.Add(string.Create(c, $"{100 * gmacs / v:F0} %"));
    if (path.Length > 0 && macPerCycle is { } m) notes.Add(string.Create(c, $"{100 * gmacs / (ghz * m):F0} % nominal"));
    return string.Create(c, $"{gmacs:F1}") + (notes.Count > 0 ? $" ({string.Join(", ", notes)})" : "");
}

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
