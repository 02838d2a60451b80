using System.Diagnostics;
using System.Globalization;
using EdgeNorm.Runtime;

namespace EdgeNorm.Soak;

/// <summary>
/// <c>EdgeNorm.Soak MODEL.edgn ITERATIONS [WARMUP]</c>: batch-1 inferences on a fixed pseudo-random input through one
/// session; prints RSS after warm-up and at the end (VmRSS, /proc/self/status), the p50 latency of the first and last
/// 10 % of the run, and exits 1 when RSS grew by more than 1 MiB. Nothing is allocated inside the timed loop.
/// </summary>
public static class Program
{
    private const long RssBudgetBytes = 1 << 20;

    public static int Main(string[] args)
    {
        if (args.Length < 2 || !int.TryParse(args[1], out int iterations) || iterations < 10)
        {
            Console.Error.WriteLine("usage: EdgeNorm.Soak MODEL.edgn ITERATIONS(>=10) [WARMUP]");
            return 2;
        }
        int warmup = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 2000;
        var model = EdgeNormModel.Load(args[0]);
        var session = model.CreateSession();
        var inputs = model.Inputs.Select(i => (i, new float[i.SampleElements], new long[i.SampleElements])).ToArray();
        var rng = new Random(1);
        foreach (var (_, f, l) in inputs)
            for (int k = 0; k < f.Length; k++) { f[k] = (float)rng.NextDouble(); l[k] = rng.Next(0, 2); }
        var outputs = model.Outputs.Select(o => (o.Name, new float[o.SampleElements])).ToArray();

        void One()
        {
            foreach (var (info, f, l) in inputs)
                if (info.ExternalType == EdgeNorm.Model.Ir.DataType.Float32) session.SetInput(info.Name, f); else session.SetInput(info.Name, l);
            session.Run(1);
            foreach (var (name, y) in outputs) session.GetOutput(name, y);
        }

        for (int i = 0; i < warmup; i++) One();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long rssStart = Rss(), gcStart = GC.GetTotalAllocatedBytes(precise: true);
        var ticks = new long[iterations];
        var wall = Stopwatch.StartNew();
        for (int i = 0; i < iterations; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            One();
            ticks[i] = Stopwatch.GetTimestamp() - t0;
        }
        wall.Stop();
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - gcStart;
        long rssEnd = Rss();

        int tenth = iterations / 10;
        double first = P50(ticks.AsSpan(0, tenth)), last = P50(ticks.AsSpan(iterations - tenth, tenth));
        var ci = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(ci,
            $"soak: {iterations} inferences in {wall.Elapsed.TotalSeconds:F1} s (+{warmup} warm-up); RSS {rssStart / 1024} KiB after warm-up, " +
            $"{rssEnd / 1024} KiB at the end (delta {(rssEnd - rssStart) / 1024} KiB); managed bytes allocated in the loop {allocated}; " +
            $"p50 first 10% {first:F4} ms, last 10% {last:F4} ms (drift {(last - first) / first * 100:+0.0;-0.0} %)"));
        if (rssEnd - rssStart > RssBudgetBytes)
        {
            Console.Error.WriteLine($"soak: FAILED — RSS grew by {(rssEnd - rssStart) / 1024} KiB (budget {RssBudgetBytes / 1024} KiB)");
            return 1;
        }
        return 0;
    }

    private static double P50(Span<long> ticks)
    {
        var copy = ticks.ToArray();
        Array.Sort(copy);
        return copy[copy.Length / 2] * 1000.0 / Stopwatch.Frequency;
    }

    /// <summary>Resident set size from /proc/self/status (VmRSS, kB).</summary>
    private static long Rss()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture) * 1024;
        return 0;
    }
}
