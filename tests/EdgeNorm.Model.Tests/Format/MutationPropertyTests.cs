using System.Text;
using System.Text.Json.Nodes;
using CsCheck;
using EdgeNorm.Model.Format;
using Xunit;

namespace EdgeNorm.Model.Tests.Format;

/// <summary>
/// Property: whatever is done to a valid file, <see cref="EdgnModel.Load"/> either throws
/// <see cref="ModelFormatException"/> or returns a model whose every accessor then works — never another
/// exception (index out of range, overflow, JSON, out of memory) and never a hang.
/// </summary>
public sealed class MutationPropertyTests
{
    private static readonly byte[] Valid = SampleModels.SmallBytes();

    /// <summary>Opens the image and, if that succeeds, exercises everything a caller would touch.</summary>
    private static void OpenAndUse(byte[] image, string what)
    {
        try
        {
            using var m = EdgnModel.Load(image);
            _ = m.VerifyChecksums().ToString();
            _ = m.HeaderJson;
            foreach (var t in m.Header.Tensors)
            {
                ReadOnlySpan<byte> data = m.GetTensorData(t.Name);
                Assert.Equal(t.Length, data.Length);
                _ = t.ToString();
            }
            foreach (var n in m.Header.Nodes) _ = n + string.Join(",", n.Attributes.Values);
            foreach (var v in m.Header.Inputs.Concat(m.Header.Outputs).Concat(m.Header.Values)) _ = v.ToString();
            foreach (var g in m.Header.GoldenSets)
                foreach (var tn in g.Inputs.Values.Concat(g.Outputs.Values)) _ = m.GetTensorData(tn).Length;
        }
        catch (ModelFormatException e)
        {
            Assert.False(string.IsNullOrWhiteSpace(e.Message), what);
            Assert.DoesNotContain('\n', e.Message);
        }
        catch (Exception e)
        {
            Assert.Fail($"{what}: {e.GetType().Name} escaped: {e.Message}");
        }
    }

    [Fact]
    public void RandomByteMutations_AnywhereInTheFile_NeverEscapeAsOtherExceptions()
    {
        Gen.Select(Gen.Int[0, Valid.Length - 1], Gen.Byte).Array[1, 8]
            .Sample(edits =>
            {
                byte[] f = (byte[])Valid.Clone();
                foreach (var (pos, value) in edits) f[pos] = value;
                OpenAndUse(f, $"bytes {string.Join(", ", edits.Select(e => $"[{e.Item1}]={e.Item2}"))}");
            }, iter: 3000);
    }

    [Fact]
    public void RandomByteMutations_OfTheJsonHeader_WithValidChecksums_NeverEscapeAsOtherExceptions()
    {
        var (json, data) = RawEdgn.Split(Valid);
        byte[] j0 = Encoding.UTF8.GetBytes(json);
        Gen.Select(Gen.Select(Gen.Int[0, j0.Length - 1], Gen.Byte).Array[1, 6], Gen.Int[0, j0.Length])
            .Sample((edits, keep) =>
            {
                byte[] j = (byte[])j0.Clone();
                foreach (var (pos, value) in edits) j[pos] = value;
                OpenAndUse(RawEdgn.Build(j[..keep], data), $"json edits {string.Join(", ", edits)} truncated to {keep}");
            }, iter: 3000);
    }

    private static readonly Func<JsonNode?>[] Replacements =
    [
        () => null, () => true, () => 0, () => -1, () => 1, () => 63, () => 64, () => 1L << 31, () => 1L << 40,
        () => long.MaxValue, () => long.MinValue, () => 1.5, () => 1e300, () => -0.0, () => "", () => "x", () => "int8",
        () => "float32", () => "packed_n16k4", () => "row_major", () => "fc1.w", () => "h", () => "x", () => "y",
        () => "golden.g0.x", () => new JsonArray(), () => new JsonObject(), () => new JsonArray(-1, 5),
        () => new JsonArray(1L << 40), () => new JsonArray(16, 4), () => new JsonArray(0), () => new JsonArray("x"),
        () => new JsonObject { ["int"] = 1 }, () => new JsonObject { ["scales"] = new JsonArray(1), ["zero_points"] = new JsonArray(0) },
    ];

    /// <summary>All (parent, key-or-index) slots of a JSON tree.</summary>
    private static List<(JsonNode Parent, object Key)> Slots(JsonNode node)
    {
        var slots = new List<(JsonNode, object)>();
        void Walk(JsonNode n)
        {
            if (n is JsonObject o)
                foreach (var (k, v) in o.ToList()) { slots.Add((o, k)); if (v is not null) Walk(v); }
            else if (n is JsonArray a)
                for (int i = 0; i < a.Count; i++) { slots.Add((a, i)); if (a[i] is not null) Walk(a[i]!); }
        }
        Walk(node);
        return slots;
    }

    [Fact]
    public void StructuredJsonMutations_WithValidChecksums_AreRejectedCleanlyOrAccepted()
    {
        var (json, data) = RawEdgn.Split(Valid);
        Gen.Int[0, int.MaxValue].Sample(seed =>
        {
            var rng = new Random(seed);
            var root = JsonNode.Parse(json)!;
            var log = new List<string>();
            for (int step = rng.Next(1, 4); step > 0; step--)
            {
                var slots = Slots(root);
                var (parent, key) = slots[rng.Next(slots.Count)];
                int action = rng.Next(4);
                if (action == 0 && parent is JsonObject po) { po.Remove((string)key); log.Add($"remove {parent.GetPath()}.{key}"); }
                else if (action == 1 && parent is JsonArray pa) { pa.Add(pa[(int)key]?.DeepClone()); log.Add($"duplicate {parent.GetPath()}[{key}]"); }
                else
                {
                    var r = Replacements[rng.Next(Replacements.Length)]();
                    if (parent is JsonObject o) o[(string)key] = r; else ((JsonArray)parent)[(int)key] = r;
                    log.Add($"set {parent.GetPath()}/{key} = {r?.ToJsonString() ?? "null"}");
                }
            }
            OpenAndUse(RawEdgn.Build(root.ToJsonString(), data), string.Join("; ", log));
        }, iter: 2000);
    }
}
