using System.CommandLine;
using EdgeNorm.Cli.Verbs;
using EdgeNorm.Model;

namespace EdgeNorm.Cli;

/// <summary>
/// The `edgenorm` command line (contract: docs/cli.md). Exit codes: 0 success, 1 a check failed,
/// 2 bad usage or bad input, with one line on stderr.
/// </summary>
public static class CliApp
{
    public const int Ok = 0;
    public const int CheckFailed = 1;
    public const int BadInput = 2;

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var root = new RootCommand("EdgeNorm: integer-only quantized transformers on edge CPUs.");
        foreach (var verb in Verbs(stdout, stderr)) root.Subcommands.Add(verb);

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            // System.CommandLine would exit 1; our contract says bad usage is 2, on one line.
            stderr.WriteLine($"edgenorm: {parsed.Errors[0].Message} (see 'edgenorm {VerbName(args)}--help')");
            return BadInput;
        }
        try
        {
            return parsed.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr, EnableDefaultExceptionHandler = false });
        }
        catch (EdgeNormException e)
        {
            stderr.WriteLine($"edgenorm: {OneLine(e.Message)}");
            return BadInput;
        }
        catch (IOException e)
        {
            stderr.WriteLine($"edgenorm: {OneLine(e.Message)}");
            return BadInput;
        }
        catch (UnauthorizedAccessException e)
        {
            stderr.WriteLine($"edgenorm: {OneLine(e.Message)}");
            return BadInput;
        }
    }

    private static IEnumerable<Command> Verbs(TextWriter o, TextWriter e) =>
    [
        CalibrateVerb.Create(o, e),
        RunVerb.Create(o, e),
        EvalVerb.Create(o, e),
        BenchVerb.Create(o, e),
        InspectVerb.Create(o, e),
        VerifyVerb.Create(o, e),
        InfoVerb.Create(o),
        ExportQdqVerb.Create(o, e),
        BundleVerb.Create(o, e),
        EmbedVerb.Create(o, e),
    ];

    private static string VerbName(string[] args) => args.Length > 0 && !args[0].StartsWith('-') ? args[0] + " " : "";

    internal static string OneLine(string s) => s.ReplaceLineEndings(" ").Trim();
}
