using System.CommandLine;
using EdgeNorm.Model.Format;

namespace EdgeNorm.Cli.Verbs;

/// <summary>
/// `edgenorm verify M.edgn`: exit 0 when every checksum matches, 1 when the file parses but a checksum
/// does not, 2 when it cannot be read as a model at all.
/// </summary>
internal static class VerifyVerb
{
    public static Command Create(TextWriter o, TextWriter e)
    {
        var model = new Argument<string>("model") { Description = "M.edgn" };
        var cmd = new Command("verify", "Check the model's checksums (and golden vectors); exit 0 ok, 1 mismatch, 2 unreadable.") { model };
        cmd.SetAction(r =>
        {
            string path = r.GetValue(model)!;
            using var m = EdgnModel.Open(path); // unreadable -> ModelFormatException -> exit 2
            var report = m.VerifyChecksums();
            if (!report.IsValid)
            {
                var corrupt = report.CorruptTensors.ToList();
                string what = corrupt.Count > 0
                    ? $"tensor{(corrupt.Count > 1 ? "s" : "")} {string.Join(", ", corrupt)}"
                    : report.Mismatches[0].Message;
                e.WriteLine($"edgenorm verify: {path}: checksum mismatch: {CliApp.OneLine(what)}");
                return CliApp.CheckFailed;
            }
            o.WriteLine($"{path}: checksums OK ({report.TensorsChecked} tensors, {report.BytesChecked:N0} bytes)");
            if (m.Header.GoldenSets.Count > 0)
                o.WriteLine($"{path}: {m.Header.GoldenSets.Count} golden set(s) present; not executed: the integer runtime is not available in this build yet");
            return CliApp.Ok;
        });
        return cmd;
    }
}
