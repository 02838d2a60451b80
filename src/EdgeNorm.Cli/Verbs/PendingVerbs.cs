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
}
