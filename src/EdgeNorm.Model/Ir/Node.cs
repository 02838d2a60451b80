namespace EdgeNorm.Model.Ir;

/// <summary>
/// One operation of the float IR. <see cref="Domain"/> is "" for ONNX ops (as imported) and
/// <see cref="Node.EdgeNormDomain"/> for the fused ops the importer creates (Linear, L1Norm, Attention, …).
/// An empty input name marks an omitted optional input, as in ONNX.
/// </summary>
public sealed class Node
{
    public const string EdgeNormDomain = "edgenorm";

    public required string Name { get; set; }
    public required string OpType { get; set; }
    public string Domain { get; set; } = "";
    public List<string> Inputs { get; init; } = [];
    public List<string> Outputs { get; init; } = [];
    public Dictionary<string, Attribute> Attributes { get; init; } = new(StringComparer.Ordinal);

    public bool IsFused => Domain == EdgeNormDomain;

    public long GetInt(string name, long fallback) => Attributes.TryGetValue(name, out var a) ? a.I : fallback;
    public float GetFloat(string name, float fallback) => Attributes.TryGetValue(name, out var a) ? a.F : fallback;
    public long[]? GetInts(string name) => Attributes.TryGetValue(name, out var a) ? a.Ints : null;
    public string? GetString(string name) => Attributes.TryGetValue(name, out var a) ? a.S : null;

    public override string ToString() => $"{Name} ({(Domain.Length > 0 ? Domain + "." : "")}{OpType})";
}
