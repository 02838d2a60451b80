using EdgeNorm.Calibration.Quantization;
using EdgeNorm.Model.Ir;
using EdgeNorm.Model.Npy;
using EdgeNorm.Onnx;
using EdgeNorm.Runtime;
using EdgeNorm.Tests;
using Xunit;

namespace EdgeNorm.Calibration.Tests;

/// <summary>
/// The measurement behind docs/accuracy.md's "Calibration method" table: every method on every digits ViT with the
/// 256 calibration images, and with 32 (the first 32, then seeded random subsets 1 and 2). Explicit (minutes of CPU):
/// <c>dotnet test --project tests/EdgeNorm.Calibration.Tests -- --filter-class EdgeNorm.Calibration.Tests.CalibrationMethodMeasurement --explicit only</c>.
/// Lines go to the test output and to $EDGENORM_MEASURE_OUT if set.
/// </summary>
public class CalibrationMethodMeasurement(ITestOutputHelper output)
{
    public static TheoryData<string> Fixtures => new() { "vit_prepbn", "vit_l1", "vit_ln_op17" };

    [Theory(Explicit = true), MemberData(nameof(Fixtures))]
    public void Measure(string fixture)
    {
        var graph = OnnxImporter.Import(TestPaths.Fixture(fixture + ".onnx"));
        var calib = EndToEnd.Data.Value.Calib;
        var first32 = Tensor.FromFloats([32, .. calib.Shape[1..]], calib.F[..(32 * 64)]);
        foreach (var method in Calibrators.RangeCalibration.Methods)
        {
            var runs = new List<string> { $"256:{Correct(graph, calib, method, null, 0)}", $"first32:{Correct(graph, first32, method, null, 0)}" };
            foreach (int seed in new[] { 1, 2 }) runs.Add($"seed{seed}x32:{Correct(graph, calib, method, 32, seed)}");
            Write($"{fixture} {method} {string.Join(" ", runs)} (of {EndToEnd.Samples})");
        }
    }

    private static int Correct(Graph graph, Tensor calib, string method, int? samples, int seed) =>
        EndToEnd.Correct(EdgeNormModel.Load(Quantizer.Quantize(graph, new Dictionary<string, Tensor> { ["input"] = calib },
            new QuantizerOptions { Method = method, Samples = samples, Seed = seed }).ToArray()));

    private void Write(string line)
    {
        output.WriteLine(line);
        if (Environment.GetEnvironmentVariable("EDGENORM_MEASURE_OUT") is { Length: > 0 } path) File.AppendAllText(path, line + "\n");
    }
}
