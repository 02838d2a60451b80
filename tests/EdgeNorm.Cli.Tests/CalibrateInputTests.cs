using System.Text.Json;
using EdgeNorm.Model.Ir;
using EdgeNorm.Model.Npy;
using EdgeNorm.Runtime;
using EdgeNorm.Tests;
using Xunit;

namespace EdgeNorm.Cli.Tests;

/// <summary>calibrate's data inputs: bad data refused with a one-line error naming file and sample (exit 2, nothing
/// written), image folders, the clipping methods, the report and the error table.</summary>
public sealed class CalibrateInputTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgenorm-calin-").FullName;
    private static string Vit => TestPaths.Fixture("vit_prepbn.onnx");
    private static string Images => TestPaths.Fixture("images", "digits");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Out => Path.Combine(_dir, "m.edgn");

    /// <summary>The first 16 calibration images, with one value replaced.</summary>
    private string Poisoned(int sample, int element, float value)
    {
        var t = Npy.ReadTensor(TestPaths.Fixture("digits_calib_x.npy"));
        var f = t.F[..(16 * 64)];
        f[sample * 64 + element] = value;
        string path = Path.Combine(_dir, "bad.npy");
        Npy.Write(path, Tensor.FromFloats([16, 1, 8, 8], f));
        return path;
    }

    private static void AssertRefused(CliRunner.Result r, params string[] mentions)
    {
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Single(r.Err.Trim().Split('\n'));
        foreach (var m in mentions) Assert.Contains(m, r.Err);
    }

    [Theory]
    [InlineData(float.NaN, "NaN")]
    [InlineData(float.PositiveInfinity, "+Inf")]
    [InlineData(float.NegativeInfinity, "-Inf")]
    public void NonFiniteData_NamesFileSampleAndInput_AndWritesNothing(float value, string what)
    {
        string bad = Poisoned(11, 5, value);
        var r = CliRunner.Run("calibrate", Vit, "-o", Out, "--data", bad);
        AssertRefused(r, "bad.npy", "sample 11", "'input'", what, "element 5");
        Assert.False(File.Exists(Out));
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
    }

    [Fact]
    public void FailingCalibrate_LeavesAnExistingOutputUntouched()
    {
        byte[] before = [1, 2, 3, 4, 5];
        File.WriteAllBytes(Out, before);
        var r = CliRunner.Run("calibrate", Vit, "-o", Out, "--data", Poisoned(0, 0, float.NaN));
        AssertRefused(r, "sample 0");
        Assert.Equal(before, File.ReadAllBytes(Out));
        Assert.Single(Directory.GetFiles(_dir, "m.edgn*"));
    }

    [Fact]
    public void WronglyShapedData_IsRefused()
    {
        var flat = Npy.ReadTensor(TestPaths.Fixture("digits_calib_x.npy")).F;
        string path = Path.Combine(_dir, "flat.npy");
        Npy.Write(path, Tensor.FromFloats([256, 64], flat));
        var r = CliRunner.Run("calibrate", Vit, "-o", Out, "--data", path);
        AssertRefused(r, "flat.npy", "[256,64]", "'input'");
        Assert.False(File.Exists(Out));
    }

    [Fact]
    public void EmptyFolder_IsRefused()
    {
        string empty = Directory.CreateDirectory(Path.Combine(_dir, "empty")).FullName;
        File.WriteAllText(Path.Combine(empty, "notes.txt"), "not an image");
        var r = CliRunner.Run("calibrate", Vit, "-o", Out, "--data", empty);
        AssertRefused(r, "empty", "no images");
        Assert.False(File.Exists(Out));
    }

    [Fact]
    public void CorruptImage_IsNamed()
    {
        string dir = Directory.CreateDirectory(Path.Combine(_dir, "corrupt")).FullName;
        File.Copy(Path.Combine(Images, "00.png"), Path.Combine(dir, "00.png"));
        var bytes = File.ReadAllBytes(Path.Combine(Images, "01.png"));
        File.WriteAllBytes(Path.Combine(dir, "01.png"), bytes[..20]); // truncated inside the header
        var r = CliRunner.Run("calibrate", Vit, "-o", Out, "--data", dir);
        AssertRefused(r, "01.png", "not a readable");
        Assert.False(File.Exists(Out));
    }

    [Fact]
    public void MixedSizes_NeedResize()
    {
        string sizes = TestPaths.Fixture("images", "sizes");
        var r = CliRunner.Run("calibrate", Vit, "-o", Out, "--data", sizes);
        AssertRefused(r, "b.png", "16×16", "--resize");
        Assert.False(File.Exists(Out));
        var ok = CliRunner.Run("calibrate", Vit, "-o", Out, "--data", sizes, "--resize", "8x8");
        Assert.True(ok.ExitCode == 0, ok.ToString());
        Assert.Equal("8x8 bilinear", EdgeNormModel.Load(Out).Metadata["preprocess.resize"]);
    }

    [Fact]
    public void ImageFolder_GivesTheRangesOfTheEquivalentArray()
    {
        string fromImages = Path.Combine(_dir, "img.edgn"), fromNpy = Path.Combine(_dir, "npy.edgn");
        var a = CliRunner.Run("calibrate", Vit, "-o", fromImages, "--data", Images, "--mean", "0.3053", "--std", "0.376");
        Assert.True(a.ExitCode == 0, a.ToString());
        var b = CliRunner.Run("calibrate", Vit, "-o", fromNpy, "--data", TestPaths.Fixture("images", "digits_equivalent.npy"));
        Assert.True(b.ExitCode == 0, b.ToString());
        var mi = EdgeNormModel.Load(fromImages).Metadata;
        var mn = EdgeNormModel.Load(fromNpy).Metadata;
        var ranges = mn.Keys.Where(k => k.StartsWith("calibration.range.", StringComparison.Ordinal)).ToList();
        Assert.True(ranges.Count > 10, $"{ranges.Count} ranges recorded");
        foreach (var k in ranges) Assert.Equal(mn[k], mi[k]);
        Assert.Equal("grey", mi["preprocess.channels"]);
        Assert.Equal("nchw", mi["preprocess.layout"]);
        Assert.Equal("0.3053", mi["preprocess.mean"]);
        Assert.Equal("0.376", mi["preprocess.std"]);
        Assert.Equal("none", mi["preprocess.resize"]);
        Assert.False(mn.ContainsKey("preprocess.mean"));
    }

    [Theory]
    [InlineData("entropy")]
    [InlineData("mse")]
    public void ClippingMethods_RecordThePerTensorChoice(string method)
    {
        var r = CliRunner.Run("calibrate", Vit, "-o", Out, "--data", TestPaths.Fixture("digits_calib_x.npy"), "--samples", "64", "--method", method);
        Assert.True(r.ExitCode == 0, r.ToString());
        var m = EdgeNormModel.Load(Out).Metadata;
        Assert.Equal(method, m["calibration.method"]);
        var ranges = m.Where(kv => kv.Key.StartsWith("calibration.range.", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(ranges);
        Assert.All(ranges, kv => Assert.StartsWith(method + " ", kv.Value));
        var inspect = CliRunner.Run("inspect", Out);
        Assert.Contains($"calibration.range.input: {method} int8", inspect.Out);
        Assert.True(CliRunner.Run("verify", Out).ExitCode == 0);
    }

    [Fact]
    public void Report_HasPerTensorErrorAndAccuracy_AndTheTableAndProgressGoToStderr()
    {
        string report = Path.Combine(_dir, "r.json");
        var r = CliRunner.Run("calibrate", Vit, "-o", Out, "--data", TestPaths.Fixture("digits_calib_x.npy"), "--samples", "64",
            "--report", report, "--eval-data", TestPaths.Fixture("digits_calib_x.npy"),
            "--eval-labels", LabelsFor256());
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.StartsWith("wrote ", r.Out);
        Assert.Contains("calibrate: minmax ", r.Err);
        Assert.Contains("per-tensor quantisation error", r.Err);
        Assert.Contains("<- worst", r.Err);
        using var doc = JsonDocument.Parse(File.ReadAllText(report));
        var root = doc.RootElement;
        Assert.Equal(256, root.GetProperty("samples").GetInt32());
        var tensors = root.GetProperty("tensors").EnumerateArray().ToList();
        Assert.True(tensors.Count > 10);
        foreach (var t in tensors.Where(t => t.GetProperty("values").GetInt64() > 0))
        {
            double sqnr = t.GetProperty("sqnr_db").GetDouble();
            // int8: ~6 dB per bit minus the crest factor; int16 far higher. Anything below 10 dB would be a broken scale.
            Assert.InRange(sqnr, 10, 200);
            // minmax on 64 of the 256 images: the other 192 may step slightly outside the ranges, never by much
            Assert.InRange(t.GetProperty("clipped_fraction").GetDouble(), 0, 0.01);
        }
        double f = root.GetProperty("float_top1").GetDouble(), i = root.GetProperty("integer_top1").GetDouble();
        Assert.InRange(f, 0.9, 1.0);
        Assert.InRange(i, f - 0.05, 1.0);
        Assert.InRange(root.GetProperty("outputs")[0].GetProperty("sqnr_db").GetDouble(), 10, 200);
    }

    /// <summary>Labels for the 256 calibration images: the float model's own predictions (then float top-1 is 100 %).</summary>
    private string LabelsFor256()
    {
        string path = Path.Combine(_dir, "y.npy");
        var x = Npy.ReadTensor(TestPaths.Fixture("digits_calib_x.npy"));
        var graph = EdgeNorm.Onnx.OnnxImporter.Import(Vit);
        var logits = new EdgeNorm.Calibration.Float.FloatExecutor(graph).Run(new Dictionary<string, Tensor> { ["input"] = x }).Values.First().F;
        var y = new long[256];
        for (int s = 0; s < 256; s++)
        {
            int best = 0;
            for (int k = 1; k < 10; k++) if (logits[s * 10 + k] > logits[s * 10 + best]) best = k;
            y[s] = best;
        }
        Npy.Write(path, Tensor.FromLongs(DataType.Int64, [256], y));
        return path;
    }
}
