using System.Buffers.Binary;
using EdgeNorm.Onnx.Proto;
using Google.Protobuf;

namespace EdgeNorm.Onnx.Writer;

/// <summary>
/// Builds an ONNX model with the generated protobuf classes: inputs, outputs, raw-data initializers and nodes
/// with named outputs. Small helpers, not a framework — <see cref="Graph"/> stays open for anything they lack.
/// </summary>
public sealed class OnnxGraphWriter
{
    /// <summary>ONNX element types (TensorProto.DataType) used by the writers.</summary>
    public const int Float = (int)TensorProto.Types.DataType.Float, Int8 = (int)TensorProto.Types.DataType.Int8,
        Int32 = (int)TensorProto.Types.DataType.Int32, Int64 = (int)TensorProto.Types.DataType.Int64;

    private readonly Dictionary<string, long> _opsets = new(StringComparer.Ordinal);
    private int _next;

    public GraphProto Graph { get; }

    public OnnxGraphWriter(string name, long opset = 17)
    {
        Graph = new GraphProto { Name = name };
        _opsets[""] = opset;
    }

    /// <summary>Declares (or raises) the opset of a domain, e.g. "com.microsoft" for contrib ops.</summary>
    public OnnxGraphWriter UseDomain(string domain, long version)
    {
        _opsets[domain] = Math.Max(version, _opsets.GetValueOrDefault(domain));
        return this;
    }

    /// <summary>A graph input; a string dimension is symbolic (e.g. "N"), a number is fixed.</summary>
    public string Input(string name, int elemType, params object[] dims)
    {
        Graph.Input.Add(new ValueInfoProto { Name = name, Type = TensorType(elemType, dims) });
        return name;
    }

    public string Output(string name, int elemType, params object[] dims)
    {
        Graph.Output.Add(new ValueInfoProto { Name = name, Type = TensorType(elemType, dims) });
        return name;
    }

    public static TypeProto TensorType(int elemType, params object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
            shape.Dim.Add(d is string s ? new TensorShapeProto.Types.Dimension { DimParam = s }
                : new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(d, System.Globalization.CultureInfo.InvariantCulture) });
        return new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = elemType, Shape = shape } };
    }

    public string Floats(string name, ReadOnlySpan<float> data, params long[] dims)
    {
        var raw = new byte[data.Length * 4];
        for (int i = 0; i < data.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(raw.AsSpan(i * 4), data[i]);
        return Initializer(name, Float, raw, dims);
    }

    public string SBytes(string name, ReadOnlySpan<sbyte> data, params long[] dims) =>
        Initializer(name, Int8, System.Runtime.InteropServices.MemoryMarshal.AsBytes(data).ToArray(), dims);

    public string Bytes(string name, ReadOnlySpan<byte> data, params long[] dims) =>
        Initializer(name, (int)TensorProto.Types.DataType.Uint8, data.ToArray(), dims);

    public string Ints32(string name, ReadOnlySpan<int> data, params long[] dims)
    {
        var raw = new byte[data.Length * 4];
        for (int i = 0; i < data.Length; i++) BinaryPrimitives.WriteInt32LittleEndian(raw.AsSpan(i * 4), data[i]);
        return Initializer(name, Int32, raw, dims);
    }

    public string Ints64(string name, ReadOnlySpan<long> data, params long[] dims)
    {
        var raw = new byte[data.Length * 8];
        for (int i = 0; i < data.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(raw.AsSpan(i * 8), data[i]);
        return Initializer(name, Int64, raw, dims);
    }

    /// <summary>A float scalar initializer with a fresh name.</summary>
    public string Scalar(float v) => Floats(Fresh("c"), [v]);

    /// <summary>An int64 vector initializer with a fresh name (shapes, axes).</summary>
    public string Longs(params long[] v) => Ints64(Fresh("c"), v, v.Length);

    /// <summary>An int64 scalar initializer with a fresh name (Gather indices).</summary>
    public string LongScalar(long v) => Ints64(Fresh("c"), [v]);

    private string Initializer(string name, int elemType, byte[] raw, long[] dims)
    {
        var t = new TensorProto { Name = name, DataType = elemType, RawData = ByteString.CopyFrom(raw) };
        t.Dims.AddRange(dims);
        Graph.Initializer.Add(t);
        return name;
    }

    /// <summary>A node with one fresh output; returns the output name.</summary>
    public string Node(string op, string[] inputs, params (string Name, object Value)[] attrs) =>
        NodeN(op, inputs, 1, "", attrs)[0];

    /// <summary>A node in a domain with one fresh output.</summary>
    public string DomainNode(string domain, string op, string[] inputs, params (string Name, object Value)[] attrs) =>
        NodeN(op, inputs, 1, domain, attrs)[0];

    public string[] NodeN(string op, string[] inputs, int outputs, string domain = "", params (string Name, object Value)[] attrs)
    {
        string name = Fresh(op);
        var outs = Enumerable.Range(0, outputs).Select(i => $"{name}_out{i}").ToArray();
        NodeTo(op, inputs, outs, domain, name, attrs);
        return outs;
    }

    /// <summary>A node with the given output names (e.g. a graph output).</summary>
    public NodeProto NodeTo(string op, string[] inputs, string[] outputs, string domain = "", string? name = null,
        params (string Name, object Value)[] attrs)
    {
        var n = new NodeProto { OpType = op, Name = name ?? Fresh(op), Domain = domain };
        n.Input.AddRange(inputs);
        n.Output.AddRange(outputs);
        foreach (var (an, v) in attrs) n.Attribute.Add(Attribute(an, v));
        Graph.Node.Add(n);
        return n;
    }

    public static AttributeProto Attribute(string name, object v)
    {
        var a = new AttributeProto { Name = name };
        switch (v)
        {
            case long l: a.Type = AttributeProto.Types.AttributeType.Int; a.I = l; break;
            case int i: a.Type = AttributeProto.Types.AttributeType.Int; a.I = i; break;
            case float f: a.Type = AttributeProto.Types.AttributeType.Float; a.F = f; break;
            case string s: a.Type = AttributeProto.Types.AttributeType.String; a.S = ByteString.CopyFromUtf8(s); break;
            case long[] ls: a.Type = AttributeProto.Types.AttributeType.Ints; a.Ints.AddRange(ls); break;
            case float[] fs: a.Type = AttributeProto.Types.AttributeType.Floats; a.Floats.AddRange(fs); break;
            case TensorProto t: a.Type = AttributeProto.Types.AttributeType.Tensor; a.T = t; break;
            default: throw new ArgumentException($"attribute '{name}': unsupported value type {v.GetType().Name}", nameof(v));
        }
        return a;
    }

    public string Fresh(string stem) => $"{stem}_{_next++}";

    public ModelProto ToModel(string producer = "edgenorm")
    {
        var m = new ModelProto { IrVersion = 8, Graph = Graph, ProducerName = producer };
        foreach (var (domain, version) in _opsets) m.OpsetImport.Add(new OperatorSetIdProto { Domain = domain, Version = version });
        return m;
    }

    public byte[] ToBytes() => ToModel().ToByteArray();

    /// <summary>Writes the model atomically (temp file beside the target, then rename).</summary>
    public void Save(string path) => OnnxFiles.WriteAtomically(path, ToBytes());
}
