using System.CommandLine;
using System.Globalization;
using EdgeNorm.Model.Format;
using EdgeNorm.Model.Ir;

namespace EdgeNorm.Cli.Verbs;

/// <summary>`edgenorm inspect M.edgn [--json]`: graph, tensors, bit widths, sizes, provenance.</summary>
internal static class InspectVerb
{
    public static Command Create(TextWriter o, TextWriter e)
    {
        var model = new Argument<string>("model") { Description = "M.edgn" };
        var json = new Option<bool>("--json") { Description = "one JSON object on stdout" };
        var cmd = new Command("inspect", "Graph, tensors, bit widths, sizes and calibration provenance of a model.") { model, json };
        cmd.SetAction(r =>
        {
            using var m = EdgnModel.Open(r.GetValue(model)!);
            if (r.GetValue(json)) WriteJson(o, m);
            else WriteText(o, m);
            return CliApp.Ok;
        });
        return cmd;
    }

    private static int Bits(DataType t) => EdgnDTypes.Size(t) * 8;

    private static void WriteText(TextWriter o, EdgnModel m)
    {
        var h = m.Header;
        o.WriteLine($"{m.Path}: EdgeNorm model, format {m.FormatVersion}, {m.FileLength:N0} bytes " +
                    $"(header {m.HeaderLength:N0}, data {m.DataLength:N0})");
        o.WriteLine("inputs:");
        foreach (var v in h.Inputs) o.WriteLine($"  {v}");
        o.WriteLine("outputs:");
        foreach (var v in h.Outputs) o.WriteLine($"  {v}");
        o.WriteLine($"nodes ({h.Nodes.Count}):");
        foreach (var n in h.Nodes)
        {
            var attrs = n.Attributes.Count == 0 ? "" : "  {" + string.Join(", ", n.Attributes.Select(a => $"{a.Key}={a.Value}")) + "}";
            o.WriteLine($"  {n}{attrs}");
        }
        o.WriteLine($"tensors ({h.Tensors.Count}, {h.Tensors.Sum(t => t.Length):N0} bytes):");
        foreach (var t in h.Tensors)
            o.WriteLine($"  {t.Name}: {t.DType.Name()}[{string.Join(",", t.Shape)}] {Bits(t.DType)}-bit {EdgnDTypes.LayoutName(t.Layout)} " +
                        $"{t.Length:N0} B{(t.Quant is null ? "" : " " + t.Quant)}");
        if (h.GoldenSets.Count > 0)
            o.WriteLine($"golden sets: {string.Join(", ", h.GoldenSets.Select(g => g.Name))}");
        if (h.Metadata.Count > 0)
        {
            o.WriteLine("metadata:");
            foreach (var (k, v) in h.Metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal)) o.WriteLine($"  {k}: {v}");
        }
    }

    private static void WriteJson(TextWriter o, EdgnModel m)
    {
        var h = m.Header;
        using var s = JsonOut.Begin(o);
        var w = s.W;
        w.WriteString("format_version", m.FormatVersion.ToString());
        w.WriteNumber("file_bytes", m.FileLength);
        w.WriteNumber("header_bytes", m.HeaderLength);
        w.WriteNumber("data_bytes", m.DataLength);
        WriteValues(w, "inputs", h.Inputs);
        WriteValues(w, "outputs", h.Outputs);
        w.WriteStartArray("nodes");
        foreach (var n in h.Nodes)
        {
            w.WriteStartObject();
            w.WriteString("name", n.Name);
            w.WriteString("op", n.OpType);
            Strings(w, "inputs", n.Inputs);
            Strings(w, "outputs", n.Outputs);
            w.WriteStartObject("attributes");
            foreach (var (k, a) in n.Attributes) w.WriteString(k, a.ToString());
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("tensors");
        foreach (var t in h.Tensors)
        {
            w.WriteStartObject();
            w.WriteString("name", t.Name);
            w.WriteString("dtype", t.DType.Name());
            w.WriteNumber("bits", Bits(t.DType));
            w.WriteStartArray("shape");
            foreach (var d in t.Shape) w.WriteNumberValue(d);
            w.WriteEndArray();
            w.WriteString("layout", EdgnDTypes.LayoutName(t.Layout));
            w.WriteNumber("bytes", t.Length);
            w.WriteNumber("offset", t.Offset);
            if (t.Quant is { } q) WriteQuant(w, q);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("golden_sets");
        foreach (var g in h.GoldenSets) w.WriteStringValue(g.Name);
        w.WriteEndArray();
        w.WriteStartObject("metadata");
        foreach (var (k, v) in h.Metadata) w.WriteString(k, v);
        w.WriteEndObject();
    }

    private static void WriteValues(System.Text.Json.Utf8JsonWriter w, string name, IReadOnlyList<EdgnValue> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values)
        {
            w.WriteStartObject();
            w.WriteString("name", v.Name);
            w.WriteString("dtype", v.DType.Name());
            w.WriteStartArray("shape");
            foreach (var d in v.Shape) w.WriteNumberValue(d);
            w.WriteEndArray();
            if (v.Quant is { } q) WriteQuant(w, q);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static void WriteQuant(System.Text.Json.Utf8JsonWriter w, QuantParams q)
    {
        w.WriteStartObject("quant");
        if (q.Axis is { } axis) w.WriteNumber("axis", axis);
        w.WriteStartArray("scales");
        foreach (var sc in q.Scales) w.WriteNumberValue(sc);
        w.WriteEndArray();
        w.WriteStartArray("zero_points");
        foreach (var z in q.ZeroPoints) w.WriteNumberValue(z);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void Strings(System.Text.Json.Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values) w.WriteStringValue(v);
        w.WriteEndArray();
    }

    internal static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
