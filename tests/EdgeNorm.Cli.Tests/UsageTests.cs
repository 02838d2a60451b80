using Xunit;

namespace EdgeNorm.Cli.Tests;

public class UsageTests
{
    [Theory]
    [InlineData("frobnicate")]
    [InlineData("info", "--no-such-option")]
    [InlineData("inspect")]
    [InlineData("verify")]
    public void BadUsage_ExitsTwo_WithOneLineOnStderr(params string[] args)
    {
        var r = CliRunner.Run(args);
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Single(r.Err.TrimEnd().Split('\n'));
        Assert.StartsWith("edgenorm: ", r.Err);
    }

    [Theory]
    [InlineData("--metaaug needs calibration data: pass --data", "calibrate", "m.onnx", "-o", "m.edgn", "--metaaug")]
    [InlineData("--metaaug learns from calibration data and --zeroq has none", "calibrate", "m.onnx", "-o", "m.edgn", "--metaaug", "--zeroq")]
    public void MetaAug_WithoutDataOrWithZeroQ_ExitsTwo_AndSaysWhy(string message, params string[] args)
    {
        var r = CliRunner.Run(args);
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains(message, r.Err);
        Assert.Single(r.Err.TrimEnd().Split('\n'));
        Assert.Equal("", r.Out);
    }

    [Fact]
    public void Help_ListsEveryContractVerb()
    {
        var r = CliRunner.Run("--help");
        Assert.Equal(0, r.ExitCode);
        foreach (var verb in new[] { "calibrate", "run", "eval", "bench", "inspect", "verify", "info", "export-qdq", "bundle", "embed" })
            Assert.Contains(verb, r.Out);
    }
}
