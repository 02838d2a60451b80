using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using EdgeNorm.Runtime;

namespace EdgeNorm.Soak;

/// <summary>
/// <c>EdgeNorm.Soak MODEL.edgn ITERATIONS [WARMUP]</c>: batch-1 inferences on a fixed pseudo-random input through one
/// session. Prints RSS after warm-up, at every tenth of the run and at the end (/proc/self/statm), the managed bytes
/// allocated and the GCs and JIT compilations that happened inside the loop, and the p50 latency of the first and last
/// 10 % of the run; exits 1 when RSS rose more than 1 MiB above its after-warm-up value at any sample.
/// </summary>
public static class Program
{
    private const long RssBudgetBytes = 1 << 20;
    private const int Samples = 10;

    public static int Main(string[] args)
    {
        if (args.Length < 2 || !int.TryParse(args[1], out int iterations) || iterations < 10 * Samples)
        {
            Console.Error.WriteLine($"usage: EdgeNorm.Soak MODEL.edgn ITERATIONS(>={10 * Samples}) [WARMUP]");
            return 2;
        }
        // 20,000 warm-up runs (~3 s) let tiered JIT finish its tier-1 recompilations first: after 2,000 it was still
        // compiling in the first tenth of the run, +0.4 MiB of code and JIT data that then stayed flat (docs/reliability.md).
        int warmup = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 20_000;
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

        // The soak's own buffers are allocated and written before the baseline: the pages of an 800 KB latency array
        // first touched inside the loop were most of the "growth" an earlier version reported.
        var ticks = new long[iterations];
        Array.Fill(ticks, 1);
        var rss = new long[Samples + 1];
        using var rssReader = new ResidentSetSize();

        for (int i = 0; i < warmup; i++) One();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        int gen0 = GC.CollectionCount(0), gen2 = GC.CollectionCount(2);
        long jitMethods = JitInfo.GetCompiledMethodCount(), gcStart = GC.GetTotalAllocatedBytes(precise: true);
        rss[0] = rssReader.Read();
        int perSample = iterations / Samples, sample = 1;
        var wall = Stopwatch.StartNew();
        for (int i = 0; i < iterations; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            One();
            ticks[i] = Stopwatch.GetTimestamp() - t0;
            if ((i + 1) % perSample == 0 && sample <= Samples) rss[sample++] = rssReader.Read();
        }
        wall.Stop();
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - gcStart;
        long jitted = JitInfo.GetCompiledMethodCount() - jitMethods;
        int gcs0 = GC.CollectionCount(0) - gen0, gcs2 = GC.CollectionCount(2) - gen2;

        int tenth = iterations / 10;
        double first = P50(ticks.AsSpan(0, tenth)), last = P50(ticks.AsSpan(iterations - tenth, tenth));
        long peak = rss.Max();
        var ci = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(ci,
            $"soak: {iterations} inferences in {wall.Elapsed.TotalSeconds:F1} s (+{warmup} warm-up); RSS {ResidentSetSize.KiB(rss[0])} KiB after warm-up, " +
            $"{ResidentSetSize.KiB(rss[^1])} KiB at the end (delta {ResidentSetSize.KiB(rss[^1] - rss[0])} KiB, peak delta {ResidentSetSize.KiB(peak - rss[0])} KiB); " +
            $"managed bytes allocated in the loop {allocated}; GCs in the loop gen0 {gcs0}, gen2 {gcs2}; methods JIT-compiled in the loop {jitted}; " +
            $"p50 first 10% {first:F4} ms, last 10% {last:F4} ms (drift {(last - first) / first * 100:+0.0;-0.0} %)"));
        Console.WriteLine("soak: RSS KiB at each tenth: " + string.Join(" ", rss.Select(r => ResidentSetSize.KiB(r))));
        if (peak - rss[0] > RssBudgetBytes)
        {
            Console.Error.WriteLine($"soak: FAILED — RSS rose {ResidentSetSize.KiB(peak - rss[0])} KiB above its after-warm-up value (budget {RssBudgetBytes / 1024} KiB)");
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
}
