using System.CommandLine;
using EdgeNorm.Calibration.Float;
using EdgeNorm.Model;
using EdgeNorm.Model.Ir;
using EdgeNorm.Onnx;
using EdgeNorm.Runtime;

namespace EdgeNorm.Cli.Verbs;

/// <summary>
/// `edgenorm eval M.edgn|M.onnx --data … --labels Y.npy [--json]`: top-1 accuracy. An .onnx model runs in
/// float with the reference executor (the truth integer models are compared against).
/// </summary>
internal static class EvalVerb
{
    private const int BatchSize = 64;

    public static Command Create(TextWriter o, TextWriter e)
    {
        var model = new Argument<string>("model") { Description = "M.edgn or M.onnx" };
        var data = new Option<string[]>("--data") { Description = "X.npy, or NAME=X.npy per input", AllowMultipleArgumentsPerToken = true };
        var labels = new Option<string>("--labels") { Description = "Y.npy: integer class per sample", Required = true };
        var json = new Option<bool>("--json") { Description = "one JSON object on stdout" };
        var cmd = new Command("eval", "Top-1 accuracy on labelled data (.onnx: float reference executor).") { model, data, labels, json };
        cmd.SetAction(r =>
        {
            string path = r.GetValue(model)!;
            if (!File.Exists(path)) throw new EdgeNormException($"{path}: no such file");
            if (path.EndsWith(".edgn", StringComparison.OrdinalIgnoreCase))
                return EvalInteger(path, r.GetValue(data) ?? [], r.GetValue(labels)!, r.GetValue(json), o);
            var import = OnnxImporter.ImportWithReport(path);
            var executor = new FloatExecutor(import.Graph);
            var inputs = DataArguments.Load(r.GetValue(data) ?? [], executor.Inputs, "--data");
            int n = inputs.First().Value.Shape[0];
            var truth = DataArguments.LoadLabels(r.GetValue(labels)!, n);
            string output = import.Graph.Outputs[0].Name;

            int correct = 0;
            for (int start = 0; start < n; start += BatchSize)
            {
                int count = Math.Min(BatchSize, n - start);
                var batch = inputs.ToDictionary(kv => kv.Key, kv => DataArguments.Rows(kv.Value, start, count));
                var logits = executor.Run(batch)[output];
                int classes = (int)(logits.Length / count);
                var f = logits.F;
                for (int i = 0; i < count; i++)
                {
                    var row = f.AsSpan(i * classes, classes);
                    int best = 0;
                    for (int c = 1; c < classes; c++) if (row[c] > row[best]) best = c;
                    if (best == truth[start + i]) correct++;
                }
            }
            double top1 = n == 0 ? 0 : (double)correct / n;
            if (r.GetValue(json))
            {
                using var w = JsonOut.Begin(o);
                w.WriteNumber("top1", top1);
                w.WriteNumber("n", (long)n);
                w.WriteNumber("correct", (long)correct);
                w.WriteString("model", path);
                w.WriteString("executor", "float-reference");
            }
            else
            {
                o.WriteLine(FormattableString.Invariant($"top-1 {top1:P2} ({correct}/{n}) — {path}, float reference executor, output '{output}'"));
                if (import.Fusion.FusedOps.Count > 0)
                    o.WriteLine("fused ops: " + string.Join(", ", import.Fusion.FusedOps.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}×{kv.Value}")));
            }
            return CliApp.Ok;
        });
        return cmd;
    }

    /// <summary>Top-1 of an integer model with the integer executor.</summary>
    private static int EvalInteger(string path, string[] data, string labels, bool json, TextWriter o)
    {
        var m = EdgeNormModel.Load(path);
        var inputs = DataArguments.Load(data, RunVerb.Infos(m), "--data");
        int n = inputs.First().Value.Shape[0];
        var truth = DataArguments.LoadLabels(labels, n);
        var logits = RunVerb.RunAll(m, inputs)[m.Outputs[0].Name];
        int classes = m.Outputs[0].SampleElements, correct = 0;
        var f = logits.F;
        for (int i = 0; i < n; i++)
        {
            var row = f.AsSpan(i * classes, classes);
            int best = 0;
            for (int c = 1; c < classes; c++) if (row[c] > row[best]) best = c;
            if (best == truth[i]) correct++;
        }
        double top1 = n == 0 ? 0 : (double)correct / n;
        if (json)
        {
            using var w = JsonOut.Begin(o);
            w.WriteNumber("top1", top1);
            w.WriteNumber("n", (long)n);
            w.WriteNumber("correct", (long)correct);
            w.WriteString("model", path);
            w.WriteString("executor", "integer-reference");
        }
        else
        {
            o.WriteLine(FormattableString.Invariant($"top-1 {top1:P2} ({correct}/{n}) — {path}, integer executor (scalar reference kernels), output '{m.Outputs[0].Name}'"));
        }
        return CliApp.Ok;
    }
}
