using System.Text.Json;
using EdgeNorm.Calibration.Calibrators;
using EdgeNorm.Model.Ir;
using EdgeNorm.Model.Npy;
using EdgeNorm.Tests;
using Xunit;

namespace EdgeNorm.Calibration.Tests;

/// <summary>
/// The calibrators against fixed arrays with answers computed by the reference definitions in numpy
/// (tests/fixtures/generator/calibrator_answers.py: ONNX Runtime's entropy, pytorch-quantization's MSE, our
/// percentile rule), not by this code. Each array is fed in uneven chunks to check that streaming changes nothing.
/// </summary>
public class CalibratorAnswerTests
{
    public static TheoryData<string> Arrays => new() { "gaussian", "laplace_outliers", "gelu_tail" };

    private static readonly Lazy<JsonElement> Expected = new(() =>
        JsonDocument.Parse(File.ReadAllText(TestPaths.Fixture("calibrators/expected.json"))).RootElement);

    private static (MinMaxCalibrator MinMax, T Calibrator) Feed<T>(string array, Func<MinMaxCalibrator, T> make) where T : HistogramCalibrator
    {
        var data = Npy.ReadTensor(TestPaths.Fixture($"calibrators/{array}.npy")).F;
        var minmax = new MinMaxCalibrator();
        foreach (var chunk in Chunks(data)) minmax.Observe("x", chunk);
        var c = make(minmax);
        foreach (var chunk in Chunks(data)) c.Observe("x", chunk);
        return (minmax, c);
    }

    /// <summary>Chunks of 1, 999, 7,000 and the rest.</summary>
    private static IEnumerable<Tensor> Chunks(float[] data)
    {
        int[] sizes = [1, 999, 7000, data.Length - 8000];
        int at = 0;
        foreach (int n in sizes)
        {
            yield return Tensor.FromFloats([n], data[at..(at + n)]);
            at += n;
        }
    }

    private static float F(JsonElement e, params string[] path)
    {
        foreach (var p in path) e = e.GetProperty(p);
        return e.GetSingle();
    }

    [Theory, MemberData(nameof(Arrays))]
    public void MinMax_IsTheGlobalRange(string array)
    {
        var (minmax, _) = Feed(array, m => new MseCalibrator(m));
        var e = Expected.Value.GetProperty(array);
        Assert.Equal(new Calibrators.Range(F(e, "min"), F(e, "max")), minmax.Get("x"));
    }

    [Theory, MemberData(nameof(Arrays))]
    public void Entropy2048_MatchesOrtDefinition(string array)
    {
        var (_, c) = Feed(array, m => new EntropyCalibrator(m));
        var e = Expected.Value.GetProperty(array).GetProperty("entropy_2048_128");
        var r = c.Get("x", DataType.Int8);
        Assert.Equal(F(e, "lo"), r.Min);
        Assert.Equal(F(e, "hi"), r.Max);
    }

    [Theory, MemberData(nameof(Arrays))]
    public void Entropy128_DegeneratesToMinMax_AndDiffersOnHeavyTails(string array)
    {
        var (minmax, c) = Feed(array, m => new EntropyCalibrator(m, bins: 128, quantizedBins: 128));
        var e = Expected.Value.GetProperty(array);
        Assert.Equal(F(e, "entropy_128_128", "lo"), c.Get("x").Min);
        Assert.Equal(F(e, "entropy_128_128", "hi"), c.Get("x").Max);
        Assert.Equal(minmax.Get("x"), c.Get("x")); // ORT's default: one candidate window, the full range
        if (array == "laplace_outliers")
        {
            var (_, c2048) = Feed(array, m => new EntropyCalibrator(m));
            Assert.True(c2048.Get("x").MaxAbs < c.Get("x").MaxAbs / 4, $"2048 bins clip the outliers: {c2048.Get("x")}");
        }
    }

    [Theory, MemberData(nameof(Arrays))]
    public void Entropy_DoesNotClipInt16(string array)
    {
        var (minmax, c) = Feed(array, m => new EntropyCalibrator(m));
        Assert.Equal(minmax.Get("x"), c.Get("x", DataType.Int16));
    }

    [Theory, MemberData(nameof(Arrays))]
    public void Mse_MatchesPytorchQuantizationDefinition(string array)
    {
        var (minmax, c) = Feed(array, m => new MseCalibrator(m));
        var e = Expected.Value.GetProperty(array);
        var observed = minmax.Get("x");
        foreach (var (dtype, key) in new[] { (DataType.Int8, "mse_int8"), (DataType.Int16, "mse_int16") })
        {
            float amax = F(e, key, "amax");
            var want = new Calibrators.Range(Math.Max(observed.Min, -amax), Math.Min(observed.Max, amax));
            Assert.Equal(want, c.Get("x", dtype));
        }
    }

    [Theory, MemberData(nameof(Arrays))]
    public void Percentile_MatchesItsDefinition(string array)
    {
        var (minmax, c) = Feed(array, m => new PercentileCalibrator(m, 0.9999));
        float t = F(Expected.Value.GetProperty(array), "percentile_edgenorm_0.9999");
        var observed = minmax.Get("x");
        Assert.Equal(new Calibrators.Range(Math.Max(observed.Min, -t), Math.Min(observed.Max, t)), c.Get("x"));
    }
}
