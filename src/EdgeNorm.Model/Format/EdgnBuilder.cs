using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;
using EdgeNorm.Model.Ir;

namespace EdgeNorm.Model.Format;

/// <summary>
/// Assembles a <c>.edgn</c> model: declare inputs and outputs, add tensors and nodes, metadata and golden sets,
/// then <see cref="Write(Stream)"/> or <see cref="WriteFile(string)"/>. Tensors are laid out in the order added,
/// each at a 64-byte boundary. Before a byte is written the header passes the same validation the reader
/// applies, so a builder cannot produce a file the reader refuses; a broken rule throws
/// <see cref="ModelFormatException"/>. Output is deterministic: the same calls give the same bytes.
/// </summary>
public sealed class EdgnBuilder
{
    private readonly List<EdgnValue> _inputs = [];
    private readonly List<EdgnValue> _outputs = [];
    private readonly List<EdgnValue> _values = [];
    private readonly List<EdgnNode> _nodes = [];
    private readonly List<(string Name, DataType DType, long[] Shape, TensorLayout Layout, QuantParams? Quant, byte[] Data)> _tensors = [];
    private readonly Dictionary<string, string> _metadata = new(StringComparer.Ordinal);
    private readonly List<EdgnGoldenSet> _golden = [];

    /// <summary>Declares a graph input. A dimension of −1 at axis 0 is the dynamic batch; with <paramref name="quant"/>, callers pass float32 that is quantised to <paramref name="dtype"/>.</summary>
    public EdgnBuilder AddInput(string name, DataType dtype, ReadOnlySpan<long> shape, QuantParams? quant = null)
    {
        _inputs.Add(new EdgnValue(name, dtype, shape.ToArray(), quant));
        return this;
    }

    /// <summary>Declares a graph output (produced by a node, or an input or stored tensor); with <paramref name="quant"/>, callers receive dequantised float32.</summary>
    public EdgnBuilder AddOutput(string name, DataType dtype, ReadOnlySpan<long> shape, QuantParams? quant = null)
    {
        _outputs.Add(new EdgnValue(name, dtype, shape.ToArray(), quant));
        return this;
    }

    /// <summary>Describes an intermediate value (a node output): its element type, shape and quantisation. Optional.</summary>
    public EdgnBuilder AddValue(string name, DataType dtype, ReadOnlySpan<long> shape, QuantParams? quant = null)
    {
        _values.Add(new EdgnValue(name, dtype, shape.ToArray(), quant));
        return this;
    }

    /// <summary>
    /// Adds a stored tensor from its raw little-endian bytes (copied). For <see cref="TensorLayout.RowMajor"/> the
    /// bytes are the C-order elements; for <see cref="TensorLayout.PackedN16K4"/> they are a
    /// <see cref="PackedWeights.Pack"/> image and <paramref name="shape"/> is the logical [N, K].
    /// </summary>
    public EdgnBuilder AddTensor(string name, DataType dtype, ReadOnlySpan<long> shape, ReadOnlySpan<byte> data,
        QuantParams? quant = null, TensorLayout layout = TensorLayout.RowMajor)
    {
        _tensors.Add((name, dtype, shape.ToArray(), layout, quant, data.ToArray()));
        return this;
    }

    /// <summary>
    /// Adds a row-major tensor from typed elements: <c>sbyte</c> → int8, <c>byte</c> → uint8, <c>short</c> → int16,
    /// <c>int</c> → int32, <c>long</c> → int64, <c>float</c> → float32.
    /// </summary>
    public EdgnBuilder AddTensor<T>(string name, ReadOnlySpan<long> shape, ReadOnlySpan<T> data, QuantParams? quant = null)
        where T : unmanaged =>
        AddTensor(name, DTypeOf<T>(), shape, MemoryMarshal.AsBytes(data), quant);

    /// <summary>Packs row-major int8 <c>W[n, k]</c> (n output channels) into the canonical GEMM layout and adds it.</summary>
    public EdgnBuilder AddPackedWeights(string name, ReadOnlySpan<sbyte> w, int n, int k, QuantParams? quant = null) =>
        AddTensor(name, DataType.Int8, [n, k], PackedWeights.Pack(w, n, k), quant, TensorLayout.PackedN16K4);

    /// <summary>Appends a node; nodes must be added in topological order. An empty input name is an omitted optional input.</summary>
    public EdgnBuilder AddNode(string name, string opType, IEnumerable<string> inputs, IEnumerable<string> outputs,
        IEnumerable<KeyValuePair<string, EdgnAttribute>>? attributes = null)
    {
        _nodes.Add(new EdgnNode(name, opType, inputs, outputs, attributes));
        return this;
    }

    /// <summary>Sets a metadata key (see docs/format.md for the well-known keys).</summary>
    public EdgnBuilder SetMetadata(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        _metadata[key] = value;
        return this;
    }

    /// <summary>
    /// Adds a golden self-test set: graph input name → stored tensor to feed (every input), graph output name →
    /// stored tensor the runtime must reproduce bit-exactly. The tensors are added with <see cref="AddTensor"/>.
    /// </summary>
    public EdgnBuilder AddGoldenSet(string name, IEnumerable<KeyValuePair<string, string>> inputs,
        IEnumerable<KeyValuePair<string, string>> outputs)
    {
        _golden.Add(new EdgnGoldenSet(name, inputs, outputs));
        return this;
    }

    /// <summary>Lays out and validates the model, returning the header as a reader would see it.</summary>
    public EdgnHeader BuildHeader() => Layout().Header;

    /// <summary>Writes the complete image to <paramref name="stream"/>.</summary>
    public void Write(Stream stream) => Write(Layout(), stream);

    private static void Write(Plan plan, Stream stream)
    {
        stream.Write(plan.Preamble);
        stream.Write(plan.Json);
        stream.Write(Zeros[..(int)(plan.DataOffset - EdgnFormat.PreambleSize - plan.Json.Length)]);
        long pos = 0;
        foreach (var (offset, data) in plan.Data)
        {
            stream.Write(Zeros[..(int)(offset - pos)]);
            stream.Write(data);
            pos = offset + data.Length;
        }
        stream.Write(Zeros[..(int)(plan.DataLength - pos)]);
    }

    /// <summary>The complete image as a byte array.</summary>
    public byte[] ToArray()
    {
        using var ms = new MemoryStream();
        Write(ms);
        return ms.ToArray();
    }

    /// <summary>
    /// Writes the model to <paramref name="path"/> atomically: into a temporary file in the same folder, flushed
    /// to disk, then renamed over <paramref name="path"/>. An interrupted write never leaves a partial model.
    /// </summary>
    public void WriteFile(string path)
    {
        var plan = Layout(); // validates before touching the disk
        AtomicFile.Write(path, fs => Write(plan, fs));
    }

    private static readonly byte[] ZeroBlock = new byte[EdgnFormat.Alignment];
    private static ReadOnlySpan<byte> Zeros => ZeroBlock;

    private sealed record Plan(byte[] Preamble, byte[] Json, long DataOffset, long DataLength, List<(long Offset, byte[] Data)> Data, EdgnHeader Header);

    private Plan Layout()
    {
        var dto = new HeaderDto
        {
            Inputs = _inputs.Select(ToDto).ToList()!,
            Outputs = _outputs.Select(ToDto).ToList()!,
            Values = _values.Count > 0 ? _values.Select(ToDto).ToList()! : null,
            Nodes = _nodes.Select(n => (NodeDto?)new NodeDto
            {
                Name = n.Name,
                Op = n.OpType,
                Inputs = [.. n.Inputs],
                Outputs = [.. n.Outputs],
                Attributes = n.Attributes.Count == 0 ? null : n.Attributes.ToDictionary(kv => kv.Key, kv => (AttrDto?)ToDto(kv.Value), StringComparer.Ordinal),
            }).ToList(),
            Tensors = [],
            Metadata = _metadata.Count > 0 ? _metadata.ToDictionary(kv => kv.Key, kv => (string?)kv.Value, StringComparer.Ordinal) : null,
            Golden = _golden.Count > 0
                ? _golden.Select(g => (GoldenDto?)new GoldenDto
                {
                    Name = g.Name,
                    Inputs = g.Inputs.ToDictionary(kv => kv.Key, kv => (string?)kv.Value, StringComparer.Ordinal),
                    Outputs = g.Outputs.ToDictionary(kv => kv.Key, kv => (string?)kv.Value, StringComparer.Ordinal),
                }).ToList()
                : null,
        };

        var data = new List<(long, byte[])>(_tensors.Count);
        long pos = 0;
        foreach (var t in _tensors)
        {
            long offset = EdgnFormat.AlignUp(pos);
            dto.Tensors.Add(new TensorDto
            {
                Name = t.Name,
                DType = t.DType.Name(),
                Shape = t.Shape,
                Layout = EdgnDTypes.LayoutName(t.Layout),
                Offset = offset,
                Length = t.Data.Length,
                Crc32C = Crc32C.Compute(t.Data),
                Quant = ToDto(t.Quant),
            });
            data.Add((offset, t.Data));
            pos = offset + t.Data.Length;
        }
        long dataLength = EdgnFormat.AlignUp(pos);

        EdgnHeader header;
        try { header = HeaderValidator.Validate(dto, dataLength); }
        catch (ModelFormatException e) { throw new ModelFormatException($"cannot write model: {e.Message}", e); }

        byte[] json = JsonSerializer.SerializeToUtf8Bytes(dto, HeaderJsonContext.Writer.HeaderDto);
        if (json.Length > EdgnFormat.MaxHeaderLength)
            throw new ModelFormatException($"cannot write model: header is {json.Length} bytes, more than the {EdgnFormat.MaxHeaderLength}-byte limit");
        long dataOffset = EdgnFormat.AlignUp(EdgnFormat.PreambleSize + json.Length);

        uint dataCrc = Crc32C.Start;
        pos = 0;
        foreach (var (offset, bytes) in data)
        {
            dataCrc = Crc32C.Update(dataCrc, Zeros[..(int)(offset - pos)]);
            dataCrc = Crc32C.Update(dataCrc, bytes);
            pos = offset + bytes.Length;
        }
        dataCrc = Crc32C.Finish(Crc32C.Update(dataCrc, Zeros[..(int)(dataLength - pos)]));

        var pre = new byte[EdgnFormat.PreambleSize];
        EdgnFormat.Magic.CopyTo(pre);
        BinaryPrimitives.WriteUInt16LittleEndian(pre.AsSpan(EdgnFormat.OffMajor), EdgnFormat.CurrentVersion.Major);
        BinaryPrimitives.WriteUInt16LittleEndian(pre.AsSpan(EdgnFormat.OffMinor), EdgnFormat.CurrentVersion.Minor);
        BinaryPrimitives.WriteUInt64LittleEndian(pre.AsSpan(EdgnFormat.OffHeaderLength), (ulong)json.Length);
        BinaryPrimitives.WriteUInt64LittleEndian(pre.AsSpan(EdgnFormat.OffDataOffset), (ulong)dataOffset);
        BinaryPrimitives.WriteUInt64LittleEndian(pre.AsSpan(EdgnFormat.OffDataLength), (ulong)dataLength);
        BinaryPrimitives.WriteUInt32LittleEndian(pre.AsSpan(EdgnFormat.OffDataCrc), dataCrc);
        uint headerCrc = Crc32C.Finish(Crc32C.Update(Crc32C.Update(Crc32C.Start, pre.AsSpan(0, EdgnFormat.OffHeaderCrc)), json));
        BinaryPrimitives.WriteUInt32LittleEndian(pre.AsSpan(EdgnFormat.OffHeaderCrc), headerCrc);
        return new Plan(pre, json, dataOffset, dataLength, data, header);
    }

    private static ValueDto? ToDto(EdgnValue v) => new()
    {
        Name = v.Name,
        DType = v.DType.Name(),
        Shape = [.. v.Shape],
        Quant = ToDto(v.Quant),
    };

    private static QuantDto? ToDto(QuantParams? q) =>
        q is null ? null : new QuantDto { Axis = q.Axis, Scales = [.. q.Scales], ZeroPoints = [.. q.ZeroPoints] };

    private static AttrDto ToDto(EdgnAttribute a) => a.Kind switch
    {
        EdgnAttributeKind.Int => new AttrDto { Int = a.Int },
        EdgnAttributeKind.Ints => new AttrDto { Ints = [.. a.Ints!] },
        EdgnAttributeKind.Float => new AttrDto { Float = a.Float },
        EdgnAttributeKind.Floats => new AttrDto { Floats = [.. a.Floats!] },
        _ => new AttrDto { String = a.String },
    };

    private static DataType DTypeOf<T>() where T : unmanaged =>
        typeof(T) == typeof(sbyte) ? DataType.Int8
        : typeof(T) == typeof(byte) ? DataType.UInt8
        : typeof(T) == typeof(short) ? DataType.Int16
        : typeof(T) == typeof(int) ? DataType.Int32
        : typeof(T) == typeof(long) ? DataType.Int64
        : typeof(T) == typeof(float) ? DataType.Float32
        : throw new ArgumentException($"element type {typeof(T).Name} is not stored in .edgn files (sbyte, byte, short, int, long, float)");
}
