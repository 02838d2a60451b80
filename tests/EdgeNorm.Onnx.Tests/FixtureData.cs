using System.Text.Json;
using EdgeNorm.Model.Ir;
using EdgeNorm.Model.Npy;
using EdgeNorm.Tests;

namespace EdgeNorm.Onnx.Tests;

/// <summary>The committed fixture models, their held-out data and the manifest's torch accuracy.</summary>
internal sealed class FixtureData
{
    public required string Model { get; init; }
    public required string ModelPath { get; init; }
    /// <summary>Whole held-out set per input name (rows on axis 0).</summary>
    public required Dictionary<string, Tensor> Inputs { get; init; }
    public required long[] Labels { get; init; }
    public required double TorchTop1 { get; init; }
    public int Count => Labels.Length;

    public static readonly string[] Models = ["vit_ln_op13", "vit_ln_op17", "vit_l1", "vit_prepbn", "bert_lang"];

    private static readonly Lazy<JsonDocument> Manifest = new(() =>
        JsonDocument.Parse(File.ReadAllText(TestPaths.Fixture("manifest.json"))));

    public static FixtureData Load(string model)
    {
        var entry = Manifest.Value.RootElement.GetProperty("models").GetProperty(model);
        bool lang = entry.GetProperty("dataset").GetString() == "lang";
        var inputs = lang
            ? new Dictionary<string, Tensor>
            {
                ["input_ids"] = Npy.ReadTensor(TestPaths.Fixture("lang_test_input_ids.npy")),
                ["attention_mask"] = Npy.ReadTensor(TestPaths.Fixture("lang_test_attention_mask.npy")),
            }
            : new Dictionary<string, Tensor> { ["input"] = Npy.ReadTensor(TestPaths.Fixture("digits_test_x.npy")) };
        var labels = Npy.ReadTensor(TestPaths.Fixture(lang ? "lang_test_y.npy" : "digits_test_y.npy")).L;
        return new FixtureData
        {
            Model = model,
            ModelPath = TestPaths.Fixture(entry.GetProperty("file").GetString()!),
            Inputs = inputs,
            Labels = labels,
            TorchTop1 = entry.GetProperty("float_top1").GetDouble(),
        };
    }

    /// <summary>Rows [start, start + count) of every input.</summary>
    public Dictionary<string, Tensor> Batch(int start, int count)
    {
        var batch = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, t) in Inputs)
        {
            int row = (int)(t.Length / t.Shape[0]);
            int[] shape = [count, .. t.Shape[1..]];
            batch[name] = t.IsFloat
                ? Tensor.FromFloats(shape, t.F.AsSpan(start * row, count * row).ToArray())
                : Tensor.FromLongs(t.DataType, shape, t.L.AsSpan(start * row, count * row).ToArray());
        }
        return batch;
    }

    public static int ArgMax(ReadOnlySpan<float> row)
    {
        int best = 0;
        for (int i = 1; i < row.Length; i++) if (row[i] > row[best]) best = i;
        return best;
    }
}
