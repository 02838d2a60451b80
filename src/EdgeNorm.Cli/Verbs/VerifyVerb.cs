using System.CommandLine;
using EdgeNorm.Firmware;
using EdgeNorm.Model.Format;
using EdgeNorm.Model.Ir;
using EdgeNorm.Runtime;

namespace EdgeNorm.Cli.Verbs;

/// <summary>
/// `edgenorm verify M.edgn`: exit 0 when every checksum matches, 1 when the file parses but a checksum
/// does not, 2 when it cannot be read as a model at all. `edgenorm verify BUNDLE.tar.gz|BUNDLE_DIR` checks a bundle
/// (edgenorm bundle): every file against the manifest's SHA-256, then the bundled model as above.
/// </summary>
internal static class VerifyVerb
{
    public static Command Create(TextWriter o, TextWriter e)
    {
        var model = new Argument<string>("model") { Description = "M.edgn, or a bundle (OUT.tar.gz or its unpacked folder)" };
        var cmd = new Command("verify", "Check the model's checksums (and golden vectors), or a bundle's files and model; exit 0 ok, 1 mismatch, 2 unreadable.") { model };
        cmd.SetAction(r =>
        {
            string path = r.GetValue(model)!;
            return BundleFolder.IsBundlePath(path) ? VerifyBundle(path, o, e) : VerifyModel(path, o, e);
        });
        return cmd;
    }

    /// <summary>A bundle: manifest hashes (a changed byte names its file, exit 1), then the model's own checks.</summary>
    private static int VerifyBundle(string path, TextWriter o, TextWriter e)
    {
        using var bundle = BundleFolder.Open(path); // not a bundle / unsafe archive -> FirmwareException -> exit 2
        var problems = BundleVerifier.Check(bundle);
        if (problems.Count > 0)
        {
            foreach (var p in problems) e.WriteLine($"edgenorm verify: {CliApp.OneLine(p)}");
            return CliApp.CheckFailed;
        }
        var m = bundle.Manifest;
        o.WriteLine($"{bundle.Display}: {m.Files.Count} files match the manifest (sha256); target {m.Target}, edgenorm {m.EdgeNormVersion}");
        return VerifyModel(bundle.FullPath(m.Model), o, e, bundle.DisplayPath(m.Model));
    }

    /// <summary>A model file: its checksums, then its golden sets; messages name it <paramref name="display"/>.</summary>
    private static int VerifyModel(string path, TextWriter o, TextWriter e, string? display = null)
    {
        display ??= path;
        using var m = EdgnModel.Open(path); // unreadable -> ModelFormatException -> exit 2
        var report = m.VerifyChecksums();
        if (!report.IsValid)
        {
            var corrupt = report.CorruptTensors.ToList();
            string what = corrupt.Count > 0
                ? $"tensor{(corrupt.Count > 1 ? "s" : "")} {string.Join(", ", corrupt)}"
                : report.Mismatches[0].Message;
            e.WriteLine($"edgenorm verify: {display}: checksum mismatch: {CliApp.OneLine(what)}");
            return CliApp.CheckFailed;
        }
        o.WriteLine($"{display}: checksums OK ({report.TensorsChecked} tensors, {report.BytesChecked:N0} bytes)");
        if (m.Header.GoldenSets.Count == 0) return CliApp.Ok;
        var runtime = EdgeNormModel.Load(path); // an op this runtime cannot execute -> EdgeNormException -> exit 2
        foreach (var set in m.Header.GoldenSets)
        {
            string? mismatch = RunGolden(m, runtime, set);
            if (mismatch is not null)
            {
                e.WriteLine($"edgenorm verify: {display}: golden set '{set.Name}': {mismatch}");
                return CliApp.CheckFailed;
            }
        }
        o.WriteLine($"{display}: {m.Header.GoldenSets.Count} golden set(s) reproduced bit-exactly by the integer executor");
        return CliApp.Ok;
    }

    /// <summary>Runs one golden set; null when every output matches bit for bit, else what differs.</summary>
    private static string? RunGolden(EdgnModel file, EdgeNormModel model, EdgnGoldenSet set)
    {
        int batch = -1;
        var inputs = new List<(TensorInfo Info, string Tensor)>();
        foreach (var info in model.Inputs)
        {
            if (!set.Inputs.TryGetValue(info.Name, out var name)) return $"no golden tensor for input '{info.Name}'";
            var t = file.Header.GetTensor(name);
            int n = t.Shape.Count > 0 ? checked((int)t.Shape[0]) : 0;
            if (batch >= 0 && n != batch) return "golden inputs disagree on the batch size";
            batch = n;
            inputs.Add((info, name));
        }
        if (batch <= 0) return "empty golden batch";
        var session = model.CreateSession(new SessionOptions { MaxBatch = batch });
        foreach (var (info, name) in inputs)
        {
            if (info.ExternalType == DataType.Float32) session.SetInput(info.Name, file.GetTensorData<float>(name));
            else if (info.ExternalType == DataType.Int64) session.SetInput(info.Name, file.GetTensorData<long>(name));
            else return $"input '{info.Name}': golden {info.ExternalType.Name()} inputs are not supported";
        }
        session.Run(batch);
        foreach (var (output, name) in set.Outputs)
        {
            var info = model.Outputs.FirstOrDefault(x => x.Name == output);
            if (info is null) return $"the model has no output '{output}'";
            var expected = file.GetTensorData<float>(name);
            var actual = new float[expected.Length];
            session.GetOutput(output, actual);
            int differ = 0;
            for (int i = 0; i < actual.Length; i++)
                if (BitConverter.SingleToInt32Bits(actual[i]) != BitConverter.SingleToInt32Bits(expected[i])) differ++;
            if (differ > 0) return $"output '{output}': {differ} of {actual.Length} values differ from the stored ones";
        }
        return null;
    }
}
