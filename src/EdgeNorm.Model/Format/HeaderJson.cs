using System.Text.Json;
using System.Text.Json.Serialization;

namespace EdgeNorm.Model.Format;

// The JSON header exactly as it is on disk. Every member is nullable so that a missing or null field is
// reported by HeaderValidator with a message naming it, rather than by the serializer. Member order is
// the order written. docs/format.md §4 documents each field.

internal sealed class HeaderDto
{
    [JsonPropertyName("inputs")] public List<ValueDto?>? Inputs { get; set; }
    [JsonPropertyName("outputs")] public List<ValueDto?>? Outputs { get; set; }
    [JsonPropertyName("values")] public List<ValueDto?>? Values { get; set; }
    [JsonPropertyName("nodes")] public List<NodeDto?>? Nodes { get; set; }
    [JsonPropertyName("tensors")] public List<TensorDto?>? Tensors { get; set; }
    [JsonPropertyName("metadata")] public Dictionary<string, string?>? Metadata { get; set; }
    [JsonPropertyName("golden")] public List<GoldenDto?>? Golden { get; set; }
}

internal sealed class ValueDto
{
    [JsonPropertyName("name")] public string? Name { get; set; }
    [JsonPropertyName("dtype")] public string? DType { get; set; }
    [JsonPropertyName("shape")] public long[]? Shape { get; set; }
    [JsonPropertyName("quant")] public QuantDto? Quant { get; set; }
}

internal sealed class QuantDto
{
    [JsonPropertyName("axis")] public int? Axis { get; set; }
    [JsonPropertyName("scales")] public float[]? Scales { get; set; }
    [JsonPropertyName("zero_points")] public long[]? ZeroPoints { get; set; }
}

internal sealed class NodeDto
{
    [JsonPropertyName("name")] public string? Name { get; set; }
    [JsonPropertyName("op")] public string? Op { get; set; }
    [JsonPropertyName("inputs")] public string?[]? Inputs { get; set; }
    [JsonPropertyName("outputs")] public string?[]? Outputs { get; set; }
    [JsonPropertyName("attributes")] public Dictionary<string, AttrDto?>? Attributes { get; set; }
}

internal sealed class AttrDto
{
    [JsonPropertyName("int")] public long? Int { get; set; }
    [JsonPropertyName("ints")] public long[]? Ints { get; set; }
    [JsonPropertyName("float")] public float? Float { get; set; }
    [JsonPropertyName("floats")] public float[]? Floats { get; set; }
    [JsonPropertyName("string")] public string? String { get; set; }
}

internal sealed class TensorDto
{
    [JsonPropertyName("name")] public string? Name { get; set; }
    [JsonPropertyName("dtype")] public string? DType { get; set; }
    [JsonPropertyName("shape")] public long[]? Shape { get; set; }
    [JsonPropertyName("layout")] public string? Layout { get; set; }
    [JsonPropertyName("offset")] public long? Offset { get; set; }
    [JsonPropertyName("length")] public long? Length { get; set; }
    [JsonPropertyName("crc32c")] public uint? Crc32C { get; set; }
    [JsonPropertyName("quant")] public QuantDto? Quant { get; set; }
}

internal sealed class GoldenDto
{
    [JsonPropertyName("name")] public string? Name { get; set; }
    [JsonPropertyName("inputs")] public Dictionary<string, string?>? Inputs { get; set; }
    [JsonPropertyName("outputs")] public Dictionary<string, string?>? Outputs { get; set; }
}

[JsonSourceGenerationOptions(
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    AllowDuplicateProperties = false,
    MaxDepth = 16)]
[JsonSerializable(typeof(HeaderDto))]
internal sealed partial class HeaderJsonContext : JsonSerializerContext
{
    /// <summary>
    /// The writer's context: as <see cref="Default"/>, but non-ASCII text is written as UTF-8 rather than \uXXXX
    /// escapes, so names and labels stay legible in a hex dump. (Readers accept both; the header is never
    /// embedded in HTML, the case the default escaping guards against.)
    /// </summary>
    public static HeaderJsonContext Writer => s_writer ??= new(new JsonSerializerOptions(Default.Options)
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    private static HeaderJsonContext? s_writer;
}
