using System.CommandLine;
using System.Security.Cryptography;
using EdgeNorm.Calibration.Float;
using EdgeNorm.Calibration.Quantization;
using EdgeNorm.Model;
using EdgeNorm.Onnx;

namespace EdgeNorm.Cli.Verbs;

/// <summary>`edgenorm calibrate MODEL.onnx -o OUT.edgn --data …`: float ONNX → calibrated integer .edgn (minmax, PRepBN as a per-channel requant, LUT GELU, log2 softmax).</summary>
internal static class CalibrateVerb
{
    public static Command Create(TextWriter o, TextWriter e)
    {
        var model = new Argument<string>("model") { Description = "MODEL.onnx" };
        var output = new Option<string>("--output", "-o") { Description = "output .edgn path" };
        var data = new Option<string[]>("--data") { Description = "X.npy, or NAME=X.npy per input", AllowMultipleArgumentsPerToken = true };
        var zeroq = new Option<bool>("--zeroq") { Description = "data-free calibration (ZeroQ) [not available yet]" };
        var metaaug = new Option<bool>("--metaaug") { Description = "MetaAug reconstruction [not available yet]" };
        var method = new Option<string>("--method") { Description = "minmax|percentile (99.99 % of |x|); entropy|mse: not available yet", DefaultValueFactory = _ => "minmax" };
        var softmax = new Option<string>("--softmax") { Description = "log2 (best measured: log√2)|lis|logsqrt2 (linear: not available yet)", DefaultValueFactory = _ => "log2" };
        var gelu = new Option<string>("--gelu") { Description = "lut (the only variant yet)" };
        var fold = new Option<string>("--prepbn-fold") { Description = "auto|requant (weights: not available yet)" };
        var samples = new Option<int?>("--samples") { Description = "calibration samples (seeded random subset)" };
        var seed = new Option<int>("--seed") { Description = "random seed", DefaultValueFactory = _ => 0 };
        var report = new Option<string>("--report") { Description = "R.json report path [not available yet]" };
        var cmd = new Command("calibrate", "Calibrate a float ONNX model into an integer .edgn model.")
        { model, output, data, zeroq, metaaug, method, softmax, gelu, fold, samples, seed, report };
        cmd.SetAction(r =>
        {
            string path = r.GetValue(model)!;
            string? outPath = r.GetValue(output);
            var specs = r.GetValue(data) ?? [];
            if (r.GetValue(zeroq) || r.GetValue(metaaug))
                return Fail(e, $"{(r.GetValue(zeroq) ? "--zeroq" : "--metaaug")} is not available yet in this build; pass calibration data with --data X.npy");
            if (specs.Length == 0)
                return Fail(e, "calibration data is required: pass --data X.npy (or NAME=X.npy for each model input), or --zeroq for data-free calibration (not available yet)");
            if (string.IsNullOrEmpty(outPath)) return Fail(e, "pass the output model path with -o OUT.edgn");
            string methodName = r.GetValue(method) ?? "minmax";
            if (methodName is not ("minmax" or "percentile")) return Fail(e, $"--method {methodName} is not available yet (minmax, percentile)");
            if (r.GetValue(gelu) is { } g && g != "lut") return Fail(e, $"--gelu {g} is not available yet (lut)");
            if (r.GetValue(fold) is { } f && f is not ("auto" or "requant")) return Fail(e, $"--prepbn-fold {f} is not available yet (auto, requant)");
            if (r.GetValue(report) is not null) return Fail(e, "--report is not available yet");
            string sm = r.GetValue(softmax) ?? "log2";
            if (sm is not ("log2" or "lis" or "logsqrt2")) return Fail(e, $"--softmax {sm} is not available yet (log2, lis, logsqrt2)");
            if (!File.Exists(path)) throw new EdgeNormException($"{path}: no such file");

            var graph = OnnxImporter.Import(path);
            var inputs = DataArguments.Load(specs, new FloatExecutor(graph).Inputs, "--data");
            string sha;
            using (var s = File.OpenRead(path)) sha = Convert.ToHexStringLower(SHA256.HashData(s));
            var options = new QuantizerOptions
            {
                Softmax = sm,
                Method = methodName,
                Samples = r.GetValue(samples),
                Seed = r.GetValue(seed),
                Metadata = new Dictionary<string, string>
                {
                    ["source.sha256"] = sha,
                    ["source.name"] = Path.GetFileName(path),
                    ["calibration.data"] = string.Join(",", specs.Select(Path.GetFileName)),
                },
            };
            var builder = Quantizer.Quantize(graph, inputs, options);
            builder.WriteFile(outPath);
            o.WriteLine($"wrote {outPath}: {new FileInfo(outPath).Length} bytes, softmax {options.SoftmaxVariant}, {methodName} on {inputs.First().Value.Shape[0]} sample(s) available");
            return CliApp.Ok;
        });
        return cmd;
    }

    private static int Fail(TextWriter e, string message)
    {
        e.WriteLine($"edgenorm calibrate: {message}");
        return CliApp.BadInput;
    }
}
