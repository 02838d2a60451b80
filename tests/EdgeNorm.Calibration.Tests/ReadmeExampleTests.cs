using EdgeNorm.Runtime;
using EdgeNorm.Tests;
using Xunit;

namespace EdgeNorm.Calibration.Tests;

/// <summary>
/// README's library example is this file's <see cref="Example"/>, verbatim: the test checks the README block equals
/// the code between the markers (so the two cannot drift), and runs it on a calibrated fixture model.
/// </summary>
public class ReadmeExampleTests
{
    private static float[] Example(string path)
    {
        // README:begin
        var model = EdgeNormModel.Load(path);            // immutable; share it across threads
        using var session = model.CreateSession(new SessionOptions { MaxBatch = 1, Threads = 1 }); // one arena, one call at a time
        var input = new float[model.Inputs[0].SampleElements];   // e.g. 1×8×8 pixels, preprocessed
        var logits = new float[model.Outputs[0].SampleElements];
        session.Run(input, logits);                              // no allocation per call after warm-up
        // README:end
        return logits;
    }

    private static string Normalise(string line) => string.Join(' ', line.Split(' ', StringSplitOptions.RemoveEmptyEntries));

    [Fact]
    public void ReadmeBlock_IsTheCodeThisTestRuns()
    {
        var source = File.ReadAllLines(Path.Combine(TestPaths.RepoRoot, "tests", "EdgeNorm.Calibration.Tests", "ReadmeExampleTests.cs"));
        var code = source.SkipWhile(l => !l.Contains("// README:begin")).Skip(1).TakeWhile(l => !l.Contains("// README:end"))
            .Select(l => Normalise(l.Replace("Load(path)", "Load(\"model.edgn\")"))).ToList();
        var readme = File.ReadAllLines(Path.Combine(TestPaths.RepoRoot, "README.md"));
        var block = readme.SkipWhile(l => !l.StartsWith("## The runtime as a library", StringComparison.Ordinal))
            .SkipWhile(l => !l.StartsWith("```csharp", StringComparison.Ordinal)).Skip(1)
            .TakeWhile(l => !l.StartsWith("```", StringComparison.Ordinal))
            .Where(l => !(l.StartsWith("using ", StringComparison.Ordinal) && !l.Contains('='))).Select(Normalise).Where(l => l.Length > 0).ToList();
        Assert.Equal(code, block);
    }

    [Fact]
    public void Example_RunsOnACalibratedModel_AndAgreesWithTheSessionApi()
    {
        string file = Path.Combine(Path.GetTempPath(), $"readme-{Guid.NewGuid():N}.edgn");
        File.WriteAllBytes(file, EndToEnd.Calibrate("vit_prepbn"));
        try
        {
            var logits = Example(file);
            Assert.Equal(10, logits.Length);
            Assert.Contains(logits, v => v != 0f); // a zero image still gives non-trivial logits (biases, cls token)
            using var session = EdgeNormModel.Load(file).CreateSession();
            var again = new float[10];
            session.Run(new float[64], again);
            Assert.Equal(again, logits);
        }
        finally { File.Delete(file); }
    }
}
