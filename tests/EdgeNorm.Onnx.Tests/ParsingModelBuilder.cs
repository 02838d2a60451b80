using EdgeNorm.Model.Ir;
using EdgeNorm.Onnx.Proto;
using Google.Protobuf;

namespace EdgeNorm.Onnx.Tests;

/// <summary>Builds small ONNX models with the generated protobuf classes, for the parsing and executor tests.</summary>
internal sealed class ParsingModelBuilder
{
    public GraphProto Graph { get; } = new() { Name = "test" };
    public long Opset { get; set; } = 13;
    private int _counter;

    public static TypeProto TensorType(int elemType, params object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
            shape.Dim.Add(d is string s ? new TensorShapeProto.Types.Dimension { DimParam = s }
                : new TensorShapeProto.Types.Dimension { DimValue = Convert.ToInt64(d, System.Globalization.CultureInfo.InvariantCulture) });
        return new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = elemType, Shape = shape } };
    }

    public ParsingModelBuilder Input(string name, int elemType, params object[] dims)
    {
        Graph.Input.Add(new ValueInfoProto { Name = name, Type = TensorType(elemType, dims) });
        return this;
    }

    public ParsingModelBuilder Output(string name, int elemType, params object[] dims)
    {
        Graph.Output.Add(new ValueInfoProto { Name = name, Type = TensorType(elemType, dims) });
        return this;
    }

    public ParsingModelBuilder Init(string name, Tensor t)
    {
        Graph.Initializer.Add(OnnxTensors.ToProto(t, name));
        return this;
    }

    public ParsingModelBuilder Init(TensorProto t)
    {
        Graph.Initializer.Add(t);
        return this;
    }

    public string Ints(params long[] v)
    {
        string name = $"c{_counter++}";
        Init(name, Tensor.FromLongs(DataType.Int64, [v.Length], v));
        return name;
    }

    public NodeProto Node(string op, string[] inputs, string[] outputs, string? name = null, string domain = "", params (string Name, object Value)[] attrs)
    {
        var n = new NodeProto { OpType = op, Name = name ?? $"{op}_{_counter++}", Domain = domain };
        n.Input.AddRange(inputs);
        n.Output.AddRange(outputs);
        foreach (var (an, v) in attrs)
        {
            var a = new AttributeProto { Name = an };
            switch (v)
            {
                case long l: a.Type = AttributeProto.Types.AttributeType.Int; a.I = l; break;
                case int i: a.Type = AttributeProto.Types.AttributeType.Int; a.I = i; break;
                case float f: a.Type = AttributeProto.Types.AttributeType.Float; a.F = f; break;
                case string s: a.Type = AttributeProto.Types.AttributeType.String; a.S = ByteString.CopyFromUtf8(s); break;
                case long[] ls: a.Type = AttributeProto.Types.AttributeType.Ints; a.Ints.AddRange(ls); break;
                case TensorProto t: a.Type = AttributeProto.Types.AttributeType.Tensor; a.T = t; break;
                default: throw new ArgumentException($"attribute type {v.GetType()}");
            }
            n.Attribute.Add(a);
        }
        Graph.Node.Add(n);
        return n;
    }

    public ModelProto Model()
    {
        var m = new ModelProto { IrVersion = 8, Graph = Graph, ProducerName = "edgenorm-tests" };
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        return m;
    }

    public byte[] Bytes() => Model().ToByteArray();

    public string Save(string dir, string file = "model.onnx")
    {
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, file);
        File.WriteAllBytes(path, Bytes());
        return path;
    }
}

/// <summary>A temporary folder removed at dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "edgenorm-onnx-" + Guid.NewGuid().ToString("N"));

    public TempDir() => Directory.CreateDirectory(Path);

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
