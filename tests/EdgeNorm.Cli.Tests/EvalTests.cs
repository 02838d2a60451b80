using System.Text.Json;
using EdgeNorm.Model.Ir;
using EdgeNorm.Model.Npy;
using EdgeNorm.Tests;
using Xunit;

namespace EdgeNorm.Cli.Tests;

/// <summary>`eval` on the committed fixtures, and its error cases (exit 2, one line).</summary>
public sealed class EvalTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgenorm-eval-").FullName;
    private static string F(string name) => TestPaths.Fixture(name);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void EvalOnnx_SampleModel_MatchesTorchAccuracyFromManifest()
    {
        var r = CliRunner.Run("eval", F("vit_prepbn.onnx"), "--data", F("digits_test_x.npy"), "--labels", F("digits_test_y.npy"), "--json");
        Assert.True(r.ExitCode == 0, r.ToString());
        using var doc = JsonDocument.Parse(r.Out);
        Assert.Equal(3573, doc.RootElement.GetProperty("n").GetInt32());
        double top1 = doc.RootElement.GetProperty("top1").GetDouble();
        double torch = TorchTop1("vit_prepbn.onnx");
        Assert.True(Math.Abs(top1 - torch) <= 1.0 / 3573 + 1e-9, $"float executor top-1 {top1} vs torch {torch}");
    }

    [Fact]
    public void EvalOnnx_MultiInputModel_TakesNamedInputs()
    {
        var r = CliRunner.Run("eval", F("bert_lang.onnx"),
            "--data", "input_ids=" + F("lang_test_input_ids.npy"), "--data", "attention_mask=" + F("lang_test_attention_mask.npy"),
            "--labels", F("lang_test_y.npy"), "--json");
        Assert.True(r.ExitCode == 0, r.ToString());
        using var doc = JsonDocument.Parse(r.Out);
        double torch = TorchTop1("bert_lang.onnx");
        int n = doc.RootElement.GetProperty("n").GetInt32();
        Assert.True(n >= 3000);
        Assert.True(Math.Abs(doc.RootElement.GetProperty("top1").GetDouble() - torch) <= 1.0 / n + 1e-9, r.Out);
    }

    [Fact]
    public void UnsupportedOps_ExitTwo_ListingEveryNode()
    {
        var x = Write("x.npy", Tensor.FromFloats([1, 4], new float[4]));
        var y = Write("y.npy", Tensor.FromLongs(DataType.Int64, [1], [0]));
        var r = CliRunner.Run("eval", F("unsupported_ops.onnx"), "--data", x, "--labels", y);
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains("top3_scores", r.Err);
        Assert.Contains("TopK", r.Err);
        Assert.Contains("box_nms", r.Err);
        Assert.Contains("NonMaxSuppression", r.Err);
        Assert.Single(r.Err.TrimEnd().Split('\n'));
    }

    public static TheoryData<string, string> BadInputs => new()
    {
        { "no-data", "--data is required" },
        { "wrong-name", "has no input 'pixels'" },
        { "unnamed-for-multi-input", "name each one as NAME=X.npy" },
        { "label-count", "labels for" },
        { "wrong-dtype", "takes float32" },
        { "wrong-shape", "has shape [2,1,4,4], expected [N,1,8,8]" },
        { "missing-file", "no such file" },
        { "sample-mismatch", "disagree on the number of samples" },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public void BadInput_ExitsTwo_WithOneLineNamingTheProblem(string kind, string expected)
    {
        string vit = F("vit_prepbn.onnx"), bert = F("bert_lang.onnx");
        string x = F("digits_test_x.npy"), y = F("digits_test_y.npy");
        string[] args = kind switch
        {
            "no-data" => ["eval", vit, "--labels", y],
            "wrong-name" => ["eval", vit, "--data", "pixels=" + x, "--labels", y],
            "unnamed-for-multi-input" => ["eval", bert, "--data", F("lang_test_input_ids.npy"), "--labels", F("lang_test_y.npy")],
            "label-count" => ["eval", vit, "--data", x, "--labels", F("lang_test_y.npy")],
            "wrong-dtype" => ["eval", vit, "--data", F("lang_test_input_ids.npy"), "--labels", F("lang_test_y.npy")],
            "wrong-shape" => ["eval", vit, "--data", Write("bad.npy", Tensor.FromFloats([2, 1, 4, 4], new float[32])),
                              "--labels", Write("l.npy", Tensor.FromLongs(DataType.Int64, [2], [0, 1]))],
            "missing-file" => ["eval", vit, "--data", Path.Combine(_dir, "nope.npy"), "--labels", y],
            "sample-mismatch" => ["eval", bert, "--data", "input_ids=" + F("lang_test_input_ids.npy"),
                                  "--data", "attention_mask=" + F("lang_calib_attention_mask.npy"), "--labels", F("lang_test_y.npy")],
            _ => throw new ArgumentException(kind),
        };
        var r = CliRunner.Run(args);
        Assert.True(r.ExitCode == 2, $"{kind}: {r}");
        Assert.Contains(expected, r.Err);
        Assert.Single(r.Err.TrimEnd().Split('\n'));
    }

    private string Write(string name, Tensor t)
    {
        var p = Path.Combine(_dir, name);
        Npy.Write(p, t);
        return p;
    }

    private static double TorchTop1(string file)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(F("manifest.json")));
        foreach (var m in EnumerateModels(doc.RootElement))
            if (m.TryGetProperty("file", out var f) && f.GetString() == file)
                return FindTop1(m);
        throw new InvalidOperationException($"{file} not in manifest.json");
    }

    private static IEnumerable<JsonElement> EnumerateModels(JsonElement root)
    {
        var models = root.TryGetProperty("models", out var mm) ? mm : root;
        if (models.ValueKind == JsonValueKind.Array) return models.EnumerateArray().ToList();
        return models.EnumerateObject().Select(p => p.Value).Where(v => v.ValueKind == JsonValueKind.Object).ToList();
    }

    private static double FindTop1(JsonElement m)
    {
        foreach (var p in m.EnumerateObject())
            if (p.Name.Contains("top1", StringComparison.OrdinalIgnoreCase) && p.Value.ValueKind == JsonValueKind.Number)
                return p.Value.GetDouble();
        throw new InvalidOperationException("no top1 field for the model in manifest.json");
    }
}
