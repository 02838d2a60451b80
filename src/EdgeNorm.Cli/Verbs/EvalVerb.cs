using System.CommandLine;
using EdgeNorm.Calibration.Float;
using EdgeNorm.Model;
using EdgeNorm.Model.Ir;
using EdgeNorm.Onnx;
using EdgeNorm.Runtime;

namespace EdgeNorm.Cli.Verbs;

/// <summary>
/// `edgenorm eval M.edgn|M.onnx --data … --labels Y.npy [--reference R.onnx] [--json]`: top-1 accuracy. An .onnx
/// model runs in float with the reference executor (the truth integer models are compared against). With
/// <c>--reference</c>, also the agreement of the top-1 predictions with that float model's (no labels involved).
/// </summary>
internal static class EvalVerb
{
    private const int BatchSize = 64;

    public static Command Create(TextWriter o, TextWriter e)
    {
        var model = new Argument<string>("model") { Description = "M.edgn or M.onnx" };
        var data = new Option<string[]>("--data") { Description = "X.npy, or NAME=X.npy per input", AllowMultipleArgumentsPerToken = true };
        var labels = new Option<string>("--labels") { Description = "Y.npy: integer class per sample", Required = true };
        var reference = new Option<string>("--reference") { Description = "R.onnx: also report agreement of top-1 predictions with this float model" };
        var json = new Option<bool>("--json") { Description = "one JSON object on stdout" };
        var cmd = new Command("eval", "Top-1 accuracy on labelled data (.onnx: float reference executor); --reference: agreement with a float model.")
        { model, data, labels, reference, json };
        var threads = RunVerb.ThreadsOption();
        var kernels = RunVerb.KernelsOption();
        cmd.Options.Add(threads);
        cmd.Options.Add(kernels);
        cmd.SetAction(r =>
        {
            string path = r.GetValue(model)!;
            string[] specs = r.GetValue(data) ?? [];
            if (!File.Exists(path)) throw new EdgeNormException($"{path}: no such file");
            string? refPath = r.GetValue(reference);
            if (refPath is not null && !File.Exists(refPath)) throw new EdgeNormException($"{refPath}: no such file (--reference)");

            bool integer = path.EndsWith(".edgn", StringComparison.OrdinalIgnoreCase);
            var sessionOptions = RunVerb.Options(r, threads, kernels);
            var (predicted, output, fused) = integer ? PredictInteger(path, specs, sessionOptions) : PredictFloat(path, specs);
            int n = predicted.Length;
            var truth = DataArguments.LoadLabels(r.GetValue(labels)!, n);
            int correct = 0;
            for (int i = 0; i < n; i++) if (predicted[i] == truth[i]) correct++;
            double top1 = n == 0 ? 0 : (double)correct / n;

            int? agree = null;
            if (refPath is not null)
            {
                var refPredicted = PredictFloat(refPath, specs).Predicted;
                if (refPredicted.Length != n)
                    throw new EdgeNormException($"--reference {refPath} produced {refPredicted.Length} predictions for {n} samples");
                int a = 0;
                for (int i = 0; i < n; i++) if (predicted[i] == refPredicted[i]) a++;
                agree = a;
            }
            string executor = integer ? "integer-reference" : "float-reference";
            if (r.GetValue(json))
            {
                using var w = JsonOut.Begin(o);
                w.WriteNumber("top1", top1);
                w.WriteNumber("n", (long)n);
                w.WriteNumber("correct", (long)correct);
                if (agree is int ag)
                {
                    w.WriteNumber("agreement", n == 0 ? 0 : (double)ag / n);
                    w.WriteNumber("agree", (long)ag);
                    w.WriteString("reference", refPath);
                }
                w.WriteString("model", path);
                w.WriteString("executor", executor);
            }
            else
            {
                string how = integer
                    ? $"integer executor ({EdgeNorm.Runtime.Platform.KernelPaths.Name(sessionOptions.KernelPath ?? EdgeNorm.Runtime.Platform.KernelPaths.Select())} kernels, {sessionOptions.Threads} thread(s))"
                    : "float reference executor";
                o.WriteLine(FormattableString.Invariant($"top-1 {top1:P2} ({correct}/{n}) — {path}, {how}, output '{output}'"));
                if (agree is int ag)
                    o.WriteLine(FormattableString.Invariant($"agreement with {refPath}: {(n == 0 ? 0 : (double)ag / n):P2} ({ag}/{n} top-1 predictions equal)"));
                if (fused is not null) o.WriteLine(fused);
            }
            return CliApp.Ok;
        });
        return cmd;
    }

    /// <summary>Top-1 class per sample of a float ONNX model (float reference executor).</summary>
    private static (int[] Predicted, string Output, string? Fused) PredictFloat(string path, string[] specs)
    {
        var import = OnnxImporter.ImportWithReport(path);
        var executor = new FloatExecutor(import.Graph);
        var inputs = DataArguments.Load(specs, executor.Inputs, "--data");
        int n = inputs.First().Value.Shape[0];
        string output = import.Graph.Outputs[0].Name;
        var predicted = new int[n];
        for (int start = 0; start < n; start += BatchSize)
        {
            int count = Math.Min(BatchSize, n - start);
            var batch = inputs.ToDictionary(kv => kv.Key, kv => DataArguments.Rows(kv.Value, start, count));
            var logits = executor.Run(batch)[output];
            ArgMax(logits.F, count, (int)(logits.Length / count), predicted.AsSpan(start, count));
        }
        string? fused = import.Fusion.FusedOps.Count > 0
            ? "fused ops: " + string.Join(", ", import.Fusion.FusedOps.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}×{kv.Value}"))
            : null;
        return (predicted, output, fused);
    }

    /// <summary>Top-1 class per sample of an integer model (integer executor).</summary>
    private static (int[] Predicted, string Output, string? Fused) PredictInteger(string path, string[] specs, SessionOptions options)
    {
        var m = EdgeNormModel.Load(path);
        var inputs = DataArguments.Load(specs, RunVerb.Infos(m), "--data");
        int n = inputs.First().Value.Shape[0];
        var logits = RunVerb.RunAll(m, inputs, options)[m.Outputs[0].Name];
        var predicted = new int[n];
        ArgMax(logits.F, n, m.Outputs[0].SampleElements, predicted);
        return (predicted, m.Outputs[0].Name, null);
    }

    private static void ArgMax(ReadOnlySpan<float> logits, int rows, int classes, Span<int> best)
    {
        for (int i = 0; i < rows; i++)
        {
            var row = logits.Slice(i * classes, classes);
            int b = 0;
            for (int c = 1; c < classes; c++) if (row[c] > row[b]) b = c;
            best[i] = b;
        }
    }
}
