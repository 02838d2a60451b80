using System.CommandLine;
using System.Security.Cryptography;
using EdgeNorm.Calibration.Calibrators;
using EdgeNorm.Calibration.Data;
using EdgeNorm.Calibration.Float;
using EdgeNorm.Calibration.Report;
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
        var data = new Option<string[]>("--data") { Description = "X.npy, NAME=X.npy per input, or a folder of PNG/JPEG images (DIR, NAME=DIR)", AllowMultipleArgumentsPerToken = true };
        var zeroq = new Option<bool>("--zeroq") { Description = "data-free calibration: distil inputs that match the BN statistics (ZeroQ), then calibrate on them" };
        var zeroqArgs = new ZeroQArguments();
        var metaaug = new Option<bool>("--metaaug") { Description = "MetaAug with --data: AdaRound + learned activation steps, block reconstruction on the data and its learned augmentations" };
        var metaaugArgs = new MetaAugArguments();
        var method = new Option<string>("--method") { Description = $"minmax (default; {Calibration.MetaAug.MetaAugCalibrator.DefaultMethod} with --metaaug)|percentile (99.99 % of |x|)|entropy (KL, 2048 bins)|mse (MSE-optimal clip)" };
        var softmax = new Option<string>("--softmax") { Description = "log2 (best measured: log√2)|lis|logsqrt2|linear (I-BERT uint8 probabilities)", DefaultValueFactory = _ => "log2" };
        var gelu = new Option<string>("--gelu") { Description = "lut (exact 256-entry table, default)|igelu|shiftgelu" };
        var fold = new Option<string>("--prepbn-fold") { Description = "auto (default: the closer to float on the calibration data)|requant|linear" };
        var samples = new Option<int?>("--samples") { Description = "calibration samples (seeded random subset)" };
        var seed = new Option<int>("--seed") { Description = "random seed", DefaultValueFactory = _ => 0 };
        var report = new Option<string>("--report") { Description = "R.json: per-tensor quantisation error (SQNR), float vs integer outputs, top-1 with --eval-labels" };
        var evalData = new Option<string[]>("--eval-data") { Description = "data for the report and the error table (default: the calibration data)", AllowMultipleArgumentsPerToken = true };
        var evalLabels = new Option<string>("--eval-labels") { Description = "labels of --eval-data: float vs integer top-1 in the report" };
        var images = new ImageOptions();
        var cmd = new Command("calibrate", "Calibrate a float ONNX model into an integer .edgn model.")
        { model, output, data, zeroq, metaaug, method, softmax, gelu, fold, samples, seed, report, evalData, evalLabels };
        foreach (var option in images.All) cmd.Add(option);
        foreach (var option in zeroqArgs.All) cmd.Add(option);
        foreach (var option in metaaugArgs.All) cmd.Add(option);
        cmd.SetAction(r =>
        {
            string path = r.GetValue(model)!;
            string? outPath = r.GetValue(output);
            var specs = r.GetValue(data) ?? [];
            bool dataFree = r.GetValue(zeroq);
            bool meta = r.GetValue(metaaug);
            if (meta && dataFree)
                return Fail(e, "--metaaug learns from calibration data and --zeroq has none: drop one of them");
            if (meta && specs.Length == 0)
                return Fail(e, "--metaaug needs calibration data: pass --data X.npy (a few dozen samples, e.g. --samples 32)");
            if (dataFree && specs.Length > 0)
                return Fail(e, "--zeroq calibrates without data: drop --data, or drop --zeroq to calibrate on the data");
            if (specs.Length == 0 && !dataFree)
                return Fail(e, "calibration data is required: pass --data X.npy (or NAME=X.npy for each model input), or --zeroq for data-free calibration");
            if (string.IsNullOrEmpty(outPath)) return Fail(e, "pass the output model path with -o OUT.edgn");
            if (Path.GetDirectoryName(Path.GetFullPath(outPath)) is { } outDir && !Directory.Exists(outDir))
                return Fail(e, $"{outPath}: the folder {outDir} does not exist"); // before any work, so the error stays one line
            string methodName = r.GetValue(method) ?? (meta ? Calibration.MetaAug.MetaAugCalibrator.DefaultMethod : new QuantizerOptions().Method);
            if (!RangeCalibration.Methods.Contains(methodName)) return Fail(e, $"--method {methodName} is not available ({string.Join(", ", RangeCalibration.Methods)})");
            if (r.GetValue(gelu) is { } g && g is not ("lut" or "igelu" or "shiftgelu")) return Fail(e, $"--gelu {g} is not available (lut, igelu, shiftgelu)");
            if (r.GetValue(fold) is { } f && f is not ("auto" or "requant" or "linear")) return Fail(e, $"--prepbn-fold {f} is not available (auto, requant, linear)");
            string sm = r.GetValue(softmax) ?? "log2";
            if (sm is not ("log2" or "lis" or "logsqrt2" or "linear")) return Fail(e, $"--softmax {sm} is not available (log2, lis, logsqrt2, linear)");
            if (!File.Exists(path)) throw new EdgeNormException($"{path}: no such file");

            var graph = OnnxImporter.Import(path);
            var graphInputs = new FloatExecutor(graph).Inputs;
            var zeroqMetadata = new Dictionary<string, string>();
            var inputs = dataFree ? zeroqArgs.Distill(graph, r, r.GetValue(seed), e, zeroqMetadata)
                : DataArguments.Load(specs, graphInputs, "--data", info => images.For(r, info));
            CalibrationDataChecks.RequireFinite(inputs, Sources(specs, graphInputs));
            var evalSpecs = r.GetValue(evalData) ?? [];
            if (r.GetValue(evalLabels) is not null && evalSpecs.Length == 0) return Fail(e, "--eval-labels needs --eval-data");
            var evalInputs = evalSpecs.Length > 0 ? DataArguments.Load(evalSpecs, graphInputs, "--eval-data", info => images.For(r, info)) : null;
            var evalTruth = r.GetValue(evalLabels) is { } lp ? DataArguments.LoadLabels(lp, evalInputs!.First().Value.Shape[0]) : null;
            var metadata = new Dictionary<string, string>(zeroqMetadata);
            if (specs.Any(Directory.Exists) || specs.Any(sp => sp.IndexOf('=') is > 0 and var eq && Directory.Exists(sp[(eq + 1)..])))
                foreach (var (k, v) in images.For(r, graphInputs.First(i => i.Shape.Length == 4)).ToMetadata()) metadata[k] = v;
            var progress = new ProgressPrinter(e);
            int? sampleCount = r.GetValue(samples);
            Calibration.MetaAug.MetaAugResult? overrides = null;
            if (meta)
            {
                (overrides, inputs) = metaaugArgs.Run(graph, inputs, r, sampleCount, r.GetValue(seed), new QuantizerOptions { Softmax = sm }.SoftmaxVariant,
                    r.GetValue(gelu) ?? "lut", methodName, e, metadata);
                sampleCount = null;   // the quantiser takes the samples MetaAug used
            }
            string sha;
            using (var s = File.OpenRead(path)) sha = Convert.ToHexStringLower(SHA256.HashData(s));
            var options = new QuantizerOptions
            {
                Softmax = sm,
                Gelu = r.GetValue(gelu) ?? "lut",
                PrepBnFold = r.GetValue(fold) ?? "auto",
                Method = methodName,
                Samples = sampleCount,
                Seed = r.GetValue(seed),
                Overrides = overrides,
                Progress = progress.Report,
                Metadata = new Dictionary<string, string>(metadata)
                {
                    ["source.sha256"] = sha,
                    ["source.name"] = Path.GetFileName(path),
                    ["calibration.data"] = dataFree ? "zeroq (distilled, no data)"
                        : string.Join(",", specs.Select(sp => Path.GetFileName(Path.TrimEndingDirectorySeparator(sp)))) + (meta ? "+metaaug" : ""),
                },
            };
            var builder = Quantizer.Quantize(graph, inputs, options);
            // the error table (and --report) on the eval data, else the calibration data; computed before anything is written
            var table = CalibrationReport.Build(graph, builder, evalInputs ?? inputs,
                evalInputs is null ? "the calibration data" : string.Join(",", evalSpecs.Select(Path.GetFileName)), evalTruth, progress: progress.Report);
            builder.WriteFile(outPath);
            if (r.GetValue(report) is { } reportPath)
            {
                string temp = reportPath + ".tmp";
                using (var fs = File.Create(temp)) table.WriteJson(fs, methodName);
                File.Move(temp, reportPath, overwrite: true);
            }
            table.WriteTable(e);
            o.WriteLine($"wrote {outPath}: {new FileInfo(outPath).Length} bytes, softmax {options.SoftmaxVariant}, {methodName} on {inputs.First().Value.Shape[0]} sample(s) available");
            return CliApp.Ok;
        });
        return cmd;
    }

    /// <summary>Input name → the file or folder its data came from (for error messages).</summary>
    private static Dictionary<string, string> Sources(string[] specs, IReadOnlyList<Model.Ir.ValueInfo> inputs)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var sp in specs)
        {
            int eq = sp.IndexOf('=');
            if (eq > 0 && !File.Exists(sp) && !Directory.Exists(sp)) map[sp[..eq]] = sp[(eq + 1)..];
            else if (inputs.Count == 1) map[inputs[0].Name] = sp;
        }
        return map;
    }

    private static int Fail(TextWriter e, string message)
    {
        e.WriteLine($"edgenorm calibrate: {message}");
        return CliApp.BadInput;
    }
}
