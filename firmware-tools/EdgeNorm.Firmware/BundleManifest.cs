using System.Text;
using System.Text.Json;

namespace EdgeNorm.Firmware;

/// <summary>One file of a bundle as the manifest records it (path relative to the bundle folder).</summary>
public sealed record BundleFile(string Path, long Bytes, string Sha256);

/// <summary>A model input or output as the manifest records it: external dtype (float32 for quantised values) and shape (-1 = batch).</summary>
public sealed record TensorSpec(string Name, string DType, IReadOnlyList<long> Shape);

/// <summary>
/// manifest.json of a bundle: what it is for (target, ISA, glibc), which versions made it, the model's interface and
/// the SHA-256 of every other file. Written and read with Utf8JsonWriter / JsonDocument (no reflection; AOT-clean).
/// </summary>
public sealed record BundleManifest
{
    public const string FileName = "manifest.json";
    public const int CurrentBundleFormat = 1;

    public int BundleFormat { get; init; } = CurrentBundleFormat;
    public required string Name { get; init; }
    public required string EdgeNormVersion { get; init; }
    /// <summary>The .edgn format version the bundled binary writes and reads.</summary>
    public required string FormatVersion { get; init; }
    /// <summary>The format version of the bundled model file.</summary>
    public required string ModelFormatVersion { get; init; }
    public required string Target { get; init; }
    public required string RuntimeIdentifier { get; init; }
    public required string RequiredIsa { get; init; }
    public required string MinimumGlibc { get; init; }
    public required string Binary { get; init; }
    public required string Model { get; init; }
    public required IReadOnlyList<TensorSpec> Inputs { get; init; }
    public required IReadOnlyList<TensorSpec> Outputs { get; init; }
    public required IReadOnlyList<BundleFile> Files { get; init; }

    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteNumber("bundle_format", BundleFormat);
            w.WriteString("name", Name);
            w.WriteString("edgenorm_version", EdgeNormVersion);
            w.WriteString("format_version", FormatVersion);
            w.WriteString("model_format_version", ModelFormatVersion);
            w.WriteString("target", Target);
            w.WriteString("rid", RuntimeIdentifier);
            w.WriteString("required_isa", RequiredIsa);
            w.WriteString("minimum_glibc", MinimumGlibc);
            w.WriteString("binary", Binary);
            w.WriteString("model", Model);
            WriteSpecs(w, "inputs", Inputs);
            WriteSpecs(w, "outputs", Outputs);
            w.WriteStartArray("files");
            foreach (var f in Files)
            {
                w.WriteStartObject();
                w.WriteString("path", f.Path);
                w.WriteNumber("bytes", f.Bytes);
                w.WriteString("sha256", f.Sha256);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    private static void WriteSpecs(Utf8JsonWriter w, string name, IReadOnlyList<TensorSpec> specs)
    {
        w.WriteStartArray(name);
        foreach (var s in specs)
        {
            w.WriteStartObject();
            w.WriteString("name", s.Name);
            w.WriteString("dtype", s.DType);
            w.WriteStartArray("shape");
            foreach (var d in s.Shape) w.WriteNumberValue(d);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    /// <summary>Parses a manifest; <paramref name="where"/> names it in errors.</summary>
    public static BundleManifest Parse(string json, string where)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var r = doc.RootElement;
            int format = r.GetProperty("bundle_format").GetInt32();
            if (format != CurrentBundleFormat)
                throw new FirmwareException($"{where}: bundle format {format} is not supported (this edgenorm reads {CurrentBundleFormat})");
            return new BundleManifest
            {
                BundleFormat = format,
                Name = Str(r, "name"),
                EdgeNormVersion = Str(r, "edgenorm_version"),
                FormatVersion = Str(r, "format_version"),
                ModelFormatVersion = Str(r, "model_format_version"),
                Target = Str(r, "target"),
                RuntimeIdentifier = Str(r, "rid"),
                RequiredIsa = Str(r, "required_isa"),
                MinimumGlibc = Str(r, "minimum_glibc"),
                Binary = Str(r, "binary"),
                Model = Str(r, "model"),
                Inputs = Specs(r.GetProperty("inputs")),
                Outputs = Specs(r.GetProperty("outputs")),
                Files = r.GetProperty("files").EnumerateArray()
                    .Select(f => new BundleFile(Str(f, "path"), f.GetProperty("bytes").GetInt64(), Str(f, "sha256"))).ToList(),
            };
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new FirmwareException($"{where}: not a valid bundle manifest ({e.Message})", e);
        }
    }

    private static string Str(JsonElement e, string name) =>
        e.GetProperty(name).GetString() ?? throw new FormatException($"'{name}' is null");

    private static List<TensorSpec> Specs(JsonElement a) =>
        a.EnumerateArray().Select(s => new TensorSpec(Str(s, "name"), Str(s, "dtype"),
            s.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToList())).ToList();
}
