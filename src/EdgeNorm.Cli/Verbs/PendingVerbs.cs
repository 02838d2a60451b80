using System.CommandLine;

namespace EdgeNorm.Cli.Verbs;

/// <summary>
/// Verbs of the CLI contract whose implementation has not landed yet. They accept the contract's
/// options (so scripts and --help are stable) and refuse honestly with exit 2 — none pretends to work.
/// </summary>
internal static class PendingVerbs
{
    private static Command Pending(string name, string description, string issue, TextWriter err, params Symbol[] symbols)
    {
        var cmd = new Command(name, description + $" [not available yet: {issue}]");
        foreach (var s in symbols)
        {
            if (s is Option o) cmd.Options.Add(o);
            else if (s is Argument a) cmd.Arguments.Add(a);
        }
        cmd.SetAction(_ =>
        {
            err.WriteLine($"edgenorm {name}: not available yet in this build ({issue}).");
            return CliApp.BadInput;
        });
        return cmd;
    }

    private static Argument<string> Model(string what = "M.edgn") => new("model") { Description = what };

    public static Command ExportQdq(TextWriter err) => Pending("export-qdq",
        "Export the calibration as a QDQ ONNX model for ONNX Runtime.", "issues #4 and #5", err,
        Model(), new Option<string>("--output", "-o") { Description = "M.qdq.onnx" });

    public static Command Bundle(TextWriter err) => Pending("bundle",
        "Deployable bundle for a board: AOT binary, model, manifest, run script, systemd unit.", "issue #6", err,
        Model(),
        new Option<string>("--rid") { Description = "linux-arm64, linux-x64, …" },
        new Option<string>("--binary") { Description = "the RID's AOT edgenorm binary" },
        new Option<string>("--output", "-o") { Description = "OUT.tar.gz" });

    public static Command Embed(TextWriter err) => Pending("embed",
        "The model as a C array or an aligned raw image for a flash partition.", "issue #6", err,
        Model(),
        new Option<string>("--format") { Description = "c|bin" },
        new Option<int>("--align") { Description = "alignment in bytes" },
        new Option<string>("--output", "-o") { Description = "OUT" });
}
