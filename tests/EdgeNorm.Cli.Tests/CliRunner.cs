using EdgeNorm.Cli;

namespace EdgeNorm.Cli.Tests;

/// <summary>Runs the CLI in-process with captured stdout/stderr (the same entry point as the executable).</summary>
internal static class CliRunner
{
    public sealed record Result(int ExitCode, string Out, string Err)
    {
        public override string ToString() => $"exit {ExitCode}\nstdout: {Out}\nstderr: {Err}";
    }

    public static Result Run(params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        int code = CliApp.Run(args, o, e);
        return new Result(code, o.ToString(), e.ToString());
    }
}
