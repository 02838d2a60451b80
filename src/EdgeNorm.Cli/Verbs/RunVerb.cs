using System.CommandLine;
using EdgeNorm.Model;
using EdgeNorm.Model.Ir;
using EdgeNorm.Model.Npy;
using EdgeNorm.Runtime;

namespace EdgeNorm.Cli.Verbs;

/// <summary>`edgenorm run M.edgn --input X.npy|NAME=X.npy … [--output Y.npy]`: integer inference, dequantised outputs.</summary>
internal static class RunVerb
{
    internal const int BatchSize = 64;

    public static Command Create(TextWriter o, TextWriter e)
    {
        var model = new Argument<string>("model") { Description = "M.edgn" };
        var input = new Option<string[]>("--input") { Description = "X.npy, or NAME=X.npy per input", AllowMultipleArgumentsPerToken = true };
        var output = new Option<string>("--output") { Description = "Y.npy (the first output)" };
        var threads = ThreadsOption();
        var kernels = KernelsOption();
        var cmd = new Command("run", "Run inference on an integer model; writes dequantised outputs.") { model, input, output, threads, kernels };
        cmd.SetAction(r =>
        {
            string path = r.GetValue(model)!;
            if (!File.Exists(path)) throw new EdgeNormException($"{path}: no such file");
            var m = EdgeNormModel.Load(path);
            var inputs = DataArguments.Load(r.GetValue(input) ?? [], Infos(m), "--input");
            var outputs = RunAll(m, inputs, Options(r, threads, kernels));
            var first = m.Outputs[0];
            var y = outputs[first.Name];
            if (r.GetValue(output) is { } outPath)
            {
                Npy.Write(outPath, y);
                o.WriteLine($"wrote {outPath}: {first.Name} {y}");
            }
            else
            {
                o.WriteLine($"{first.Name} {y}");
                int row = y.Shape.Length > 1 ? (int)(y.Length / y.Shape[0]) : (int)y.Length;
                for (int i = 0; i < Math.Min(y.Shape[0], 8); i++)
                    o.WriteLine(string.Join(" ", y.F.AsSpan(i * row, row).ToArray().Select(v => v.ToString("G6", System.Globalization.CultureInfo.InvariantCulture))));
            }
            return CliApp.Ok;
        });
        return cmd;
    }

    /// <summary>The model's inputs as the shared --data/--input parser describes them (external dtypes, batch axis symbolic).</summary>
    internal static List<ValueInfo> Infos(EdgeNormModel m) =>
        m.Inputs.Select(i => new ValueInfo(i.Name, i.ExternalType, [Dim.Sym("N"), .. i.SampleShape.Select(d => Dim.Of(d))])).ToList();

    /// <summary>Runs every sample (in batches) and returns each output as a float tensor [n, …].</summary>
    /// <summary>`--threads N`: threads per inference (results identical for any N).</summary>
    internal static Option<int> ThreadsOption() =>
        new("--threads") { Description = "threads per inference (the caller + N-1 workers); results are identical for any N", DefaultValueFactory = _ => 1 };

    /// <summary>`--kernels NAME`: force a kernel path (as EDGENORM_KERNELS); default the best usable one.</summary>
    internal static Option<string> KernelsOption() =>
        new("--kernels") { Description = "kernel path: scalar, vector128, avx2, avx-vnni, avx512bw, neon, neon-dotprod (default: the fastest usable)" };

    /// <summary>Session options from --threads / --kernels (an unusable path or count → SessionConfigurationException, exit 2).</summary>
    internal static SessionOptions Options(ParseResult r, Option<int> threads, Option<string> kernels) => new()
    {
        Threads = r.GetValue(threads),
        KernelPath = r.GetValue(kernels) is { Length: > 0 } k ? EdgeNorm.Runtime.Platform.KernelPaths.Parse(k) : null,
    };

    internal static Dictionary<string, Tensor> RunAll(EdgeNormModel m, Dictionary<string, Tensor> inputs, SessionOptions? options = null)
    {
        int n = inputs.First().Value.Shape[0];
        if (n == 0) throw new EdgeNormException($"input '{inputs.First().Key}' has no samples (axis 0 is 0); pass at least one");
        foreach (var i in m.Inputs)
        {
            var t = inputs[i.Name];
            if (t.Length != (long)n * i.SampleElements)
                throw new EdgeNormException($"input '{i.Name}': shape {t} does not hold samples of [{string.Join(",", i.SampleShape)}]");
        }
        using var session = m.CreateSession((options ?? new SessionOptions()) with { MaxBatch = Math.Max(1, Math.Min(BatchSize, n)) });
        var result = m.Outputs.ToDictionary(o => o.Name, o => new float[(long)n * o.SampleElements]);
        for (int start = 0; start < n; start += session.MaxBatch)
        {
            int count = Math.Min(session.MaxBatch, n - start);
            foreach (var i in m.Inputs)
            {
                var t = inputs[i.Name];
                int per = i.SampleElements;
                if (t.IsFloat) session.SetInput(i.Name, t.F.AsSpan(start * per, count * per));
                else session.SetInput(i.Name, t.L.AsSpan(start * per, count * per));
            }
            session.Run(count);
            foreach (var o in m.Outputs)
                session.GetOutput(o.Name, result[o.Name].AsSpan(start * o.SampleElements, count * o.SampleElements));
        }
        return m.Outputs.ToDictionary(o => o.Name, o => Tensor.FromFloats([n, .. o.SampleShape], result[o.Name]));
    }
}
