using System.Globalization;
using EdgeNorm.Model.Ir;

namespace EdgeNorm.Model.Format;

/// <summary>How a stored tensor's bytes are arranged.</summary>
public enum TensorLayout
{
    /// <summary>Dense, C order (last axis fastest), little-endian elements. JSON: <c>"row_major"</c>.</summary>
    RowMajor,

    /// <summary>
    /// The canonical GEMM weight layout of an int8 <c>W[N,K]</c>: N in panels of 16, K in groups of 4, followed
    /// by int32 column sums; see <see cref="PackedWeights"/>. JSON: <c>"packed_n16k4"</c>.
    /// </summary>
    PackedN16K4,
}

/// <summary>
/// Affine quantisation of an integer tensor or value: <c>real = scale · (q − zero_point)</c>. Per-tensor when
/// <see cref="Axis"/> is null (one scale, one zero point), else per-channel along <see cref="Axis"/> (one of
/// each per index of that axis).
/// </summary>
public sealed class QuantParams : IEquatable<QuantParams>
{
    /// <summary>Scales, finite and &gt; 0.</summary>
    public IReadOnlyList<float> Scales { get; }

    /// <summary>Zero points, inside the range of the element type.</summary>
    public IReadOnlyList<long> ZeroPoints { get; }

    /// <summary>The channel axis for per-channel parameters; null for per-tensor.</summary>
    public int? Axis { get; }

    /// <summary>Whether there is one scale per channel of <see cref="Axis"/>.</summary>
    public bool IsPerChannel => Axis is not null;

    /// <summary>Creates quantisation parameters (lists are copied). Consistency is checked when a model is built or read.</summary>
    public QuantParams(IEnumerable<float> scales, IEnumerable<long> zeroPoints, int? axis)
    {
        Scales = scales.ToArray();
        ZeroPoints = zeroPoints.ToArray();
        Axis = axis;
    }

    /// <summary>One scale and zero point for the whole tensor.</summary>
    public static QuantParams PerTensor(float scale, long zeroPoint = 0) => new([scale], [zeroPoint], null);

    /// <summary>One scale (and zero point; all zero when null) per index of <paramref name="axis"/>.</summary>
    public static QuantParams PerChannel(int axis, IReadOnlyList<float> scales, IReadOnlyList<long>? zeroPoints = null) =>
        new(scales, zeroPoints ?? new long[scales.Count], axis);

    /// <inheritdoc/>
    public bool Equals(QuantParams? other) => other is not null && Axis == other.Axis
        && Scales.Select(BitConverter.SingleToInt32Bits).SequenceEqual(other.Scales.Select(BitConverter.SingleToInt32Bits))
        && ZeroPoints.SequenceEqual(other.ZeroPoints);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as QuantParams);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Axis, Scales.Count, Scales.Count > 0 ? Scales[0] : 0f);

    /// <summary>E.g. "scale=0.05 zp=0" or "per-channel axis 0 (16 scales)".</summary>
    public override string ToString() => Axis is null && Scales.Count == 1 && ZeroPoints.Count == 1
        ? string.Create(CultureInfo.InvariantCulture, $"scale={Scales[0]:R} zp={ZeroPoints[0]}")
        : $"per-channel axis {Axis} ({Scales.Count} scales)";
}

/// <summary>
/// A graph input, output or intermediate value: name, element type, shape and optional quantisation. A
/// dimension of −1 is dynamic (only axis 0, the batch axis, may be). For a graph input or output with
/// <see cref="Quant"/>, the caller exchanges float32 data and the runtime (de)quantises at the boundary.
/// </summary>
public sealed class EdgnValue : IEquatable<EdgnValue>
{
    /// <summary>The value's name, unique among graph values.</summary>
    public string Name { get; }

    /// <summary>Element type inside the graph.</summary>
    public DataType DType { get; }

    /// <summary>Declared shape; −1 marks the dynamic batch axis.</summary>
    public IReadOnlyList<long> Shape { get; }

    /// <summary>Quantisation parameters, or null for a plain integer (or float) value.</summary>
    public QuantParams? Quant { get; }

    /// <summary>The element type a caller supplies or receives: float32 for a quantised boundary value, else <see cref="DType"/>.</summary>
    public DataType ExternalDType => Quant is null ? DType : DataType.Float32;

    /// <summary>Creates a value description (the shape is copied).</summary>
    public EdgnValue(string name, DataType dtype, IEnumerable<long> shape, QuantParams? quant = null)
    {
        Name = name;
        DType = dtype;
        Shape = shape.ToArray();
        Quant = quant;
    }

    /// <inheritdoc/>
    public bool Equals(EdgnValue? other) => other is not null && Name == other.Name && DType == other.DType
        && Shape.SequenceEqual(other.Shape) && Equals(Quant, other.Quant);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as EdgnValue);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Name, DType, Shape.Count);

    /// <summary>E.g. "x: int8[-1,4] scale=0.5 zp=0".</summary>
    public override string ToString() =>
        $"{Name}: {DType.Name()}[{string.Join(",", Shape)}]{(Quant is null ? "" : " " + Quant)}";
}

/// <summary>The kinds of node attribute the format stores.</summary>
public enum EdgnAttributeKind
{
    /// <summary>A 64-bit integer. JSON: <c>{"int": 3}</c>.</summary>
    Int,
    /// <summary>A list of 64-bit integers. JSON: <c>{"ints": [1, 2]}</c>.</summary>
    Ints,
    /// <summary>A float32. JSON: <c>{"float": 0.5}</c>.</summary>
    Float,
    /// <summary>A list of float32. JSON: <c>{"floats": [0.5]}</c>.</summary>
    Floats,
    /// <summary>A string. JSON: <c>{"string": "log2"}</c>.</summary>
    String,
}

/// <summary>One typed node attribute; exactly the member named by <see cref="Kind"/> is meaningful.</summary>
public sealed class EdgnAttribute : IEquatable<EdgnAttribute>
{
    /// <summary>Which member holds the value.</summary>
    public EdgnAttributeKind Kind { get; }
    /// <summary>The value of an <see cref="EdgnAttributeKind.Int"/> attribute.</summary>
    public long Int { get; }
    /// <summary>The value of an <see cref="EdgnAttributeKind.Float"/> attribute.</summary>
    public float Float { get; }
    /// <summary>The value of a <see cref="EdgnAttributeKind.String"/> attribute.</summary>
    public string? String { get; }
    /// <summary>The value of an <see cref="EdgnAttributeKind.Ints"/> attribute.</summary>
    public IReadOnlyList<long>? Ints { get; }
    /// <summary>The value of a <see cref="EdgnAttributeKind.Floats"/> attribute.</summary>
    public IReadOnlyList<float>? Floats { get; }

    private EdgnAttribute(EdgnAttributeKind kind, long i = 0, float f = 0, string? s = null, long[]? ints = null, float[]? floats = null)
    {
        Kind = kind; Int = i; Float = f; String = s; Ints = ints; Floats = floats;
    }

    /// <summary>An int attribute.</summary>
    public static EdgnAttribute Of(long value) => new(EdgnAttributeKind.Int, i: value);
    /// <summary>A float attribute (must be finite to be written).</summary>
    public static EdgnAttribute Of(float value) => new(EdgnAttributeKind.Float, f: value);
    /// <summary>A string attribute.</summary>
    public static EdgnAttribute Of(string value) => new(EdgnAttributeKind.String, s: value ?? throw new ArgumentNullException(nameof(value)));
    /// <summary>An ints attribute (copied).</summary>
    public static EdgnAttribute Of(IEnumerable<long> values) => new(EdgnAttributeKind.Ints, ints: values.ToArray());
    /// <summary>A floats attribute (copied; must be finite to be written).</summary>
    public static EdgnAttribute Of(IEnumerable<float> values) => new(EdgnAttributeKind.Floats, floats: values.ToArray());

    /// <summary>An int attribute.</summary>
    public static implicit operator EdgnAttribute(long value) => Of(value);
    /// <summary>A float attribute.</summary>
    public static implicit operator EdgnAttribute(float value) => Of(value);
    /// <summary>A string attribute.</summary>
    public static implicit operator EdgnAttribute(string value) => Of(value);
    /// <summary>An ints attribute.</summary>
    public static implicit operator EdgnAttribute(long[] values) => Of(values);
    /// <summary>A floats attribute.</summary>
    public static implicit operator EdgnAttribute(float[] values) => Of(values);

    /// <inheritdoc/>
    public bool Equals(EdgnAttribute? other) => other is not null && Kind == other.Kind && Kind switch
    {
        EdgnAttributeKind.Int => Int == other.Int,
        EdgnAttributeKind.Float => BitConverter.SingleToInt32Bits(Float) == BitConverter.SingleToInt32Bits(other.Float),
        EdgnAttributeKind.String => String == other.String,
        EdgnAttributeKind.Ints => Ints!.SequenceEqual(other.Ints!),
        _ => Floats!.Select(BitConverter.SingleToInt32Bits).SequenceEqual(other.Floats!.Select(BitConverter.SingleToInt32Bits)),
    };

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as EdgnAttribute);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Kind, Int, String);

    /// <summary>The value as text, e.g. "3", "[1,2]", "0.5", "\"log2\"".</summary>
    public override string ToString() => Kind switch
    {
        EdgnAttributeKind.Int => Int.ToString(CultureInfo.InvariantCulture),
        EdgnAttributeKind.Float => Float.ToString("R", CultureInfo.InvariantCulture),
        EdgnAttributeKind.String => $"\"{String}\"",
        EdgnAttributeKind.Ints => $"[{string.Join(",", Ints!)}]",
        _ => $"[{string.Join(",", Floats!.Select(f => f.ToString("R", CultureInfo.InvariantCulture)))}]",
    };
}

/// <summary>
/// One node of the integer graph. Nodes are generic — an op type, named inputs and outputs, typed
/// attributes — so new integer ops need no format change. An empty input name marks an omitted optional input.
/// </summary>
public sealed class EdgnNode : IEquatable<EdgnNode>
{
    /// <summary>Unique node name.</summary>
    public string Name { get; }
    /// <summary>The integer op, e.g. "QLinear" (the runtime's op set defines the names).</summary>
    public string OpType { get; }
    /// <summary>Input value names: graph inputs, stored tensors or outputs of earlier nodes; "" = omitted.</summary>
    public IReadOnlyList<string> Inputs { get; }
    /// <summary>Output value names, each produced exactly once in the graph.</summary>
    public IReadOnlyList<string> Outputs { get; }
    /// <summary>Attributes by name, in file order.</summary>
    public IReadOnlyDictionary<string, EdgnAttribute> Attributes { get; }

    /// <summary>Creates a node (lists and attributes are copied).</summary>
    public EdgnNode(string name, string opType, IEnumerable<string> inputs, IEnumerable<string> outputs,
        IEnumerable<KeyValuePair<string, EdgnAttribute>>? attributes = null)
    {
        Name = name;
        OpType = opType;
        Inputs = inputs.ToArray();
        Outputs = outputs.ToArray();
        var attrs = new Dictionary<string, EdgnAttribute>(StringComparer.Ordinal);
        foreach (var (k, v) in attributes ?? []) attrs.Add(k, v);
        Attributes = attrs;
    }

    /// <summary>The int attribute <paramref name="name"/>, or <paramref name="fallback"/> when absent.</summary>
    public long GetInt(string name, long fallback) =>
        Attributes.TryGetValue(name, out var a) && a.Kind == EdgnAttributeKind.Int ? a.Int : fallback;

    /// <summary>The ints attribute <paramref name="name"/>, or null when absent.</summary>
    public IReadOnlyList<long>? GetInts(string name) =>
        Attributes.TryGetValue(name, out var a) && a.Kind == EdgnAttributeKind.Ints ? a.Ints : null;

    /// <summary>The string attribute <paramref name="name"/>, or null when absent.</summary>
    public string? GetString(string name) =>
        Attributes.TryGetValue(name, out var a) && a.Kind == EdgnAttributeKind.String ? a.String : null;

    /// <inheritdoc/>
    public bool Equals(EdgnNode? other) => other is not null && Name == other.Name && OpType == other.OpType
        && Inputs.SequenceEqual(other.Inputs) && Outputs.SequenceEqual(other.Outputs)
        && DictEquals(Attributes, other.Attributes);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as EdgnNode);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Name, OpType);

    /// <summary>E.g. "fc1 (QLinear): x, w -> y".</summary>
    public override string ToString() => $"{Name} ({OpType}): {string.Join(", ", Inputs)} -> {string.Join(", ", Outputs)}";

    internal static bool DictEquals<TV>(IReadOnlyDictionary<string, TV> a, IReadOnlyDictionary<string, TV> b) =>
        a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var v) && EqualityComparer<TV>.Default.Equals(kv.Value, v));
}

/// <summary>
/// One entry of the tensor table: a constant (weights, biases, multipliers, lookup tables, golden vectors)
/// stored in the data section. <see cref="Offset"/> is relative to the start of the data section.
/// </summary>
public sealed class EdgnTensor : IEquatable<EdgnTensor>
{
    /// <summary>Unique tensor name.</summary>
    public string Name { get; }
    /// <summary>Element type: int8, uint8, int16, int32, int64 or float32.</summary>
    public DataType DType { get; }
    /// <summary>Logical shape (for a packed weight: [N, K]); every dimension ≥ 0.</summary>
    public IReadOnlyList<long> Shape { get; }
    /// <summary>How the bytes are arranged.</summary>
    public TensorLayout Layout { get; }
    /// <summary>Byte offset from the start of the data section; a multiple of 64.</summary>
    public long Offset { get; }
    /// <summary>Byte length (row-major: elements × element size; packed: <see cref="PackedWeights.ByteLength"/>).</summary>
    public long Length { get; }
    /// <summary>CRC-32C of the tensor's <see cref="Length"/> bytes.</summary>
    public uint Crc32C { get; }
    /// <summary>Quantisation parameters, or null.</summary>
    public QuantParams? Quant { get; }

    /// <summary>Creates a tensor table entry (the shape is copied). Readers and builders create these; validation is theirs.</summary>
    public EdgnTensor(string name, DataType dtype, IEnumerable<long> shape, TensorLayout layout, long offset, long length,
        uint crc32C, QuantParams? quant)
    {
        Name = name; DType = dtype; Shape = shape.ToArray(); Layout = layout; Offset = offset; Length = length;
        Crc32C = crc32C; Quant = quant;
    }

    /// <summary>Number of logical elements (product of <see cref="Shape"/>).</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, d) => a * d);

    /// <summary>Whether the tensor uses the packed GEMM layout.</summary>
    public bool IsPacked => Layout == TensorLayout.PackedN16K4;

    /// <summary>Bits per element (8, 16, 32 or 64).</summary>
    public int BitWidth => EdgnDTypes.Size(DType) * 8;

    /// <inheritdoc/>
    public bool Equals(EdgnTensor? other) => other is not null && Name == other.Name && DType == other.DType
        && Shape.SequenceEqual(other.Shape) && Layout == other.Layout && Offset == other.Offset
        && Length == other.Length && Crc32C == other.Crc32C && Equals(Quant, other.Quant);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as EdgnTensor);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Name, Offset, Length, Crc32C);

    /// <summary>E.g. "w: int8[16,64] packed_n16k4 @0+1088".</summary>
    public override string ToString() =>
        $"{Name}: {DType.Name()}[{string.Join(",", Shape)}] {EdgnDTypes.LayoutName(Layout)} @{Offset}+{Length}";
}

/// <summary>
/// A golden self-test vector set: for each graph input the stored tensor to feed, for each (checked) graph
/// output the stored tensor the runtime must reproduce bit-exactly.
/// </summary>
public sealed class EdgnGoldenSet : IEquatable<EdgnGoldenSet>
{
    /// <summary>Unique set name.</summary>
    public string Name { get; }
    /// <summary>Graph input name → stored tensor name (every graph input appears).</summary>
    public IReadOnlyDictionary<string, string> Inputs { get; }
    /// <summary>Graph output name → stored tensor name (at least one).</summary>
    public IReadOnlyDictionary<string, string> Outputs { get; }

    /// <summary>Creates a golden set (maps are copied).</summary>
    public EdgnGoldenSet(string name, IEnumerable<KeyValuePair<string, string>> inputs, IEnumerable<KeyValuePair<string, string>> outputs)
    {
        Name = name;
        Inputs = Copy(inputs);
        Outputs = Copy(outputs);
    }

    private static Dictionary<string, string> Copy(IEnumerable<KeyValuePair<string, string>> kvs)
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in kvs) d.Add(k, v);
        return d;
    }

    /// <inheritdoc/>
    public bool Equals(EdgnGoldenSet? other) => other is not null && Name == other.Name
        && EdgnNode.DictEquals(Inputs, other.Inputs) && EdgnNode.DictEquals(Outputs, other.Outputs);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as EdgnGoldenSet);

    /// <inheritdoc/>
    public override int GetHashCode() => Name.GetHashCode(StringComparison.Ordinal);

    /// <summary>The set's name.</summary>
    public override string ToString() => Name;
}

/// <summary>The validated JSON header of a model: everything except the tensor bytes.</summary>
public sealed class EdgnHeader
{
    private readonly Dictionary<string, EdgnTensor> _tensorsByName;

    /// <summary>Graph inputs, in order.</summary>
    public IReadOnlyList<EdgnValue> Inputs { get; }
    /// <summary>Graph outputs, in order.</summary>
    public IReadOnlyList<EdgnValue> Outputs { get; }
    /// <summary>Optional descriptions (type, shape, quantisation) of intermediate values.</summary>
    public IReadOnlyList<EdgnValue> Values { get; }
    /// <summary>The integer graph, in topological order.</summary>
    public IReadOnlyList<EdgnNode> Nodes { get; }
    /// <summary>The tensor table, in file order.</summary>
    public IReadOnlyList<EdgnTensor> Tensors { get; }
    /// <summary>Provenance, preprocessing, labels and other key-values (see docs/format.md for the known keys).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }
    /// <summary>Golden self-test vector sets.</summary>
    public IReadOnlyList<EdgnGoldenSet> GoldenSets { get; }

    internal EdgnHeader(IReadOnlyList<EdgnValue> inputs, IReadOnlyList<EdgnValue> outputs, IReadOnlyList<EdgnValue> values,
        IReadOnlyList<EdgnNode> nodes, IReadOnlyList<EdgnTensor> tensors, IReadOnlyDictionary<string, string> metadata,
        IReadOnlyList<EdgnGoldenSet> goldenSets)
    {
        Inputs = inputs; Outputs = outputs; Values = values; Nodes = nodes; Tensors = tensors; Metadata = metadata;
        GoldenSets = goldenSets;
        _tensorsByName = new Dictionary<string, EdgnTensor>(tensors.Count, StringComparer.Ordinal);
        foreach (var t in tensors) _tensorsByName[t.Name] = t;
    }

    /// <summary>The tensor table entry named <paramref name="name"/>, if any.</summary>
    public bool TryGetTensor(string name, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out EdgnTensor tensor) =>
        _tensorsByName.TryGetValue(name, out tensor);

    /// <summary>The tensor table entry named <paramref name="name"/>; <see cref="ArgumentException"/> if there is none.</summary>
    public EdgnTensor GetTensor(string name) => _tensorsByName.TryGetValue(name, out var t)
        ? t : throw new ArgumentException($"the model has no tensor named '{name}'", nameof(name));
}

/// <summary>The element types a <c>.edgn</c> tensor or value may have, with their JSON names and sizes.</summary>
public static class EdgnDTypes
{
    /// <summary>Size of one element in bytes; 0 for a type the format does not store.</summary>
    public static int Size(DataType t) => t switch
    {
        DataType.Int8 or DataType.UInt8 => 1,
        DataType.Int16 => 2,
        DataType.Int32 or DataType.Float32 => 4,
        DataType.Int64 => 8,
        _ => 0,
    };

    /// <summary>Whether the format stores elements of type <paramref name="t"/>.</summary>
    public static bool IsSupported(DataType t) => Size(t) != 0;

    /// <summary>Parses a JSON dtype name ("int8", "uint8", "int16", "int32", "int64", "float32").</summary>
    public static bool TryParse(string? name, out DataType t)
    {
        t = name switch
        {
            "int8" => DataType.Int8,
            "uint8" => DataType.UInt8,
            "int16" => DataType.Int16,
            "int32" => DataType.Int32,
            "int64" => DataType.Int64,
            "float32" => DataType.Float32,
            _ => DataType.Undefined,
        };
        return t != DataType.Undefined;
    }

    /// <summary>The JSON name of a layout.</summary>
    public static string LayoutName(TensorLayout l) => l == TensorLayout.PackedN16K4 ? "packed_n16k4" : "row_major";

    internal static (long Min, long Max) Range(DataType t) => t switch
    {
        DataType.Int8 => (sbyte.MinValue, sbyte.MaxValue),
        DataType.UInt8 => (byte.MinValue, byte.MaxValue),
        DataType.Int16 => (short.MinValue, short.MaxValue),
        DataType.Int32 => (int.MinValue, int.MaxValue),
        _ => (long.MinValue, long.MaxValue),
    };
}
