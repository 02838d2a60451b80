using System.Diagnostics;
using System.Text.Json;
using EdgeNorm.Model.Format;
using EdgeNorm.Runtime;
using Microsoft.ML.OnnxRuntime;
using OrtOptions = Microsoft.ML.OnnxRuntime.SessionOptions;
using OrtSession = Microsoft.ML.OnnxRuntime.InferenceSession;

namespace EdgeNorm.Bench.Compare;

/// <summary>One engine in its own process: load, warm up, time single inferences (batch 1), report JSON.</summary>
internal static class Worker
{
    public static int Run(string[] args)
    {
        string engine = Args.Get(args, "--worker")!, file = Args.Get(args, "--file")!;
        int threads = Args.Int(args, "--threads", 1), iterations = Args.Int(args, "--iterations", 20), warmup = Args.Int(args, "--warmup", 3);
        var (run, applied) = engine == "edgenorm-int8" ? RunEdgeNorm(file, threads) : Ort(file, threads);
        for (int i = 0; i < warmup; i++) run();
        var ms = new double[iterations];
        // Process CPU time of the timed runs: on a shared machine it moves far less with the other load than wall time
        // (one thread: ≈ the latency an idle core would give; more threads: the sum over threads, incl. any spinning).
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        for (int i = 0; i < iterations; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            run();
            ms[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        }
        double cpuMs = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalMilliseconds / Math.Max(1, iterations);
        Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["engine"] = engine, ["threads"] = threads, ["threads_applied"] = applied, ["latencies_ms"] = ms, ["cpu_ms_per_inference"] = Math.Round(cpuMs, 2), ["vmhwm_kb"] = VmHwmKb(),
        }));
        return 0;
    }

    private static float[] RandomInput(int n)
    {
        var rng = new Random(99);
        var x = new float[n];
        for (int i = 0; i < n; i++) x[i] = Preparation.Normal(rng);
        return x;
    }

    private static (Action, bool) RunEdgeNorm(string file, int threads)
    {
        var model = EdgeNormModel.Load(file);
        var options = new global::EdgeNorm.Runtime.SessionOptions { MaxBatch = 1, Threads = threads };
        const bool applied = true;
        var session = model.CreateSession(options);
        var x = RandomInput(model.Inputs[0].SampleElements);
        var y = new float[model.Outputs[0].SampleElements];
        return (() => session.Run(x, y), applied);
    }

    private static (Action, bool) Ort(string file, int threads)
    {
        var options = new OrtOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        var session = new OrtSession(file, options);
        string input = session.InputNames[0];
        long[] shape = [.. session.InputMetadata[input].Dimensions.Select(d => d < 0 ? 1L : d)];
        var x = RandomInput((int)shape.Aggregate(1L, (a, b) => a * b));
        var value = OrtValue.CreateTensorValueFromMemory(x, shape);
        var run = new RunOptions();
        var inputs = new Dictionary<string, OrtValue> { [input] = value };
        var outputs = session.OutputNames.ToArray();
        return (() => { using var r = session.Run(run, inputs, outputs); }, true);
    }

    /// <summary>Peak resident set of this process (kB), from /proc/self/status VmHWM.</summary>
    private static long VmHwmKb()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture);
        return 0;
    }

    /// <summary>EdgeNorm per-op-type time over <paramref name="iterations"/> runs (the session's OpProfile), largest first.</summary>
    public static List<(string Op, double Ms, double Share)> Profile(string file, int iterations)
    {
        using var header = EdgnModel.Open(file);
        var types = header.Header.Nodes.ToDictionary(n => n.Name, n => n.OpType);
        var model = EdgeNormModel.Load(file);
        var session = model.CreateSession(new global::EdgeNorm.Runtime.SessionOptions { MaxBatch = 1 });
        var profile = session.EnableProfiling();
        var x = RandomInput(model.Inputs[0].SampleElements);
        var y = new float[model.Outputs[0].SampleElements];
        session.Run(x, y);
        profile.Reset();
        for (int i = 0; i < iterations; i++) session.Run(x, y);
        var byType = new Dictionary<string, long>();
        for (int i = 0; i < profile.OpNames.Count; i++)
        {
            string t = types.TryGetValue(profile.OpNames[i], out var op) ? op : profile.OpNames[i];
            byType[t] = byType.GetValueOrDefault(t) + profile.Ticks(i);
        }
        long total = byType.Values.Sum();
        return byType.OrderByDescending(kv => kv.Value)
            .Select(kv => (kv.Key, kv.Value * 1000.0 / Stopwatch.Frequency / iterations, (double)kv.Value / Math.Max(1, total))).ToList();
    }
}
