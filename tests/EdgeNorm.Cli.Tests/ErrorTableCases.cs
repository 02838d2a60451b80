using EdgeNorm.Model.Ir;
using EdgeNorm.Model.Npy;
using EdgeNorm.Tests;
using Xunit;

namespace EdgeNorm.Cli.Tests;

/// <summary>One small calibrated model (vit_prepbn, 16 calibration samples) shared by the error cases.</summary>
public sealed class ErrorTableModel : IDisposable
{
    public string Dir { get; } = Directory.CreateTempSubdirectory("edgenorm-errors-").FullName;
    public string Model => Path.Combine(Dir, "m.edgn");

    public ErrorTableModel()
    {
        var r = CliRunner.Run("calibrate", TestPaths.Fixture("vit_prepbn.onnx"), "-o", Model, "--data", TestPaths.Fixture("digits_calib_x.npy"), "--samples", "16");
        if (r.ExitCode != 0) throw new InvalidOperationException(r.ToString());
    }

    public void Dispose() => Directory.Delete(Dir, recursive: true);
}

/// <summary>The error-table rows owned by the reliability work (docs/cli.md, docs/security.md): exit 2, one line.</summary>
public sealed class ErrorTableCases(ErrorTableModel fixture) : IClassFixture<ErrorTableModel>
{
    private static void AssertOneLineError(CliRunner.Result r, params string[] mentions)
    {
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Single(r.Err.TrimEnd().Split('\n'));
        Assert.StartsWith("edgenorm", r.Err);
        foreach (var m in mentions) Assert.Contains(m, r.Err);
    }

    private string Npy(string name, Tensor t)
    {
        string path = Path.Combine(fixture.Dir, name);
        EdgeNorm.Model.Npy.Npy.Write(path, t);
        return path;
    }

    [Fact]
    public void Run_NaNInput_ExitsTwo_NamingInputAndIndex()
    {
        var x = new float[2 * 64];
        x[64 + 5] = float.NaN;
        var r = CliRunner.Run("run", fixture.Model, "--input", Npy("nan.npy", Tensor.FromFloats([2, 1, 8, 8], x)));
        AssertOneLineError(r, "NaN", "'input'", "69");
    }

    [Fact]
    public void Run_InfinityInput_Saturates()
    {
        // ±Inf is a legal float beyond any range: it quantises to the extreme code, like any out-of-range value.
        var x = new float[64];
        x[0] = float.PositiveInfinity;
        x[1] = float.NegativeInfinity;
        var r = CliRunner.Run("run", fixture.Model, "--input", Npy("inf.npy", Tensor.FromFloats([1, 1, 8, 8], x)));
        Assert.True(r.ExitCode == 0, r.ToString());
    }

    [Fact]
    public void Run_EmptyInput_ExitsTwo()
    {
        var r = CliRunner.Run("run", fixture.Model, "--input", Npy("empty.npy", Tensor.FromFloats([0, 1, 8, 8], [])));
        AssertOneLineError(r, "no samples");
    }

    [Fact]
    public void Run_WrongSampleShape_ExitsTwo()
    {
        var r = CliRunner.Run("run", fixture.Model, "--input", Npy("shape.npy", Tensor.FromFloats([2, 1, 8, 7], new float[112])));
        AssertOneLineError(r, "input");
    }

    [Fact]
    public void Run_WrongDtype_ExitsTwo()
    {
        var r = CliRunner.Run("run", fixture.Model, "--input", Npy("ids.npy", Tensor.FromLongs(DataType.Int64, [1, 1, 8, 8], new long[64])));
        AssertOneLineError(r, "int64");
    }

    [Fact]
    public void Run_CorruptNpy_ExitsTwo()
    {
        string path = Path.Combine(fixture.Dir, "bad.npy");
        File.WriteAllBytes(path, [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, 0xFF, 0xFF]);
        AssertOneLineError(CliRunner.Run("run", fixture.Model, "--input", path));
    }

    [Fact]
    public void Run_OutputIntoMissingFolder_ExitsTwo()
    {
        var r = CliRunner.Run("run", fixture.Model, "--input", TestPaths.Fixture("digits_calib_x.npy"), "--output", Path.Combine(fixture.Dir, "no", "such", "y.npy"));
        AssertOneLineError(r);
    }

    [Fact]
    public void Run_GarbageModel_ExitsTwo()
    {
        string path = Path.Combine(fixture.Dir, "garbage.edgn");
        File.WriteAllBytes(path, Enumerable.Range(0, 300).Select(i => (byte)(i * 31)).ToArray());
        AssertOneLineError(CliRunner.Run("run", path, "--input", TestPaths.Fixture("digits_calib_x.npy")), "garbage.edgn");
    }

    [Fact]
    public void Calibrate_MissingOrCorruptOnnx_ExitsTwo()
    {
        string data = TestPaths.Fixture("digits_calib_x.npy"), o = Path.Combine(fixture.Dir, "c.edgn");
        AssertOneLineError(CliRunner.Run("calibrate", Path.Combine(fixture.Dir, "none.onnx"), "-o", o, "--data", data), "none.onnx");
        string bad = Path.Combine(fixture.Dir, "bad.onnx");
        File.WriteAllBytes(bad, File.ReadAllBytes(TestPaths.Fixture("vit_prepbn.onnx")).AsSpan(0, 5000).ToArray());
        AssertOneLineError(CliRunner.Run("calibrate", bad, "-o", o, "--data", data), "bad.onnx");
        Assert.False(File.Exists(o));
    }

    [Fact]
    public void Calibrate_OutputIntoMissingFolder_ExitsTwo()
    {
        var r = CliRunner.Run("calibrate", TestPaths.Fixture("vit_prepbn.onnx"), "-o", Path.Combine(fixture.Dir, "no", "m.edgn"),
            "--data", TestPaths.Fixture("digits_calib_x.npy"), "--samples", "4");
        AssertOneLineError(r);
    }

    [Fact]
    public void Inspect_Directory_ExitsTwo()
    {
        AssertOneLineError(CliRunner.Run("inspect", fixture.Dir));
    }
}
