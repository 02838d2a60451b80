using EdgeNorm.Calibration.Float;
using EdgeNorm.Calibration.Float.Ops;
using EdgeNorm.Model;
using EdgeNorm.Model.Ir;
using EdgeNorm.Onnx.Passes;
using EdgeNorm.Onnx.Proto;
using Google.Protobuf;
using Attribute = EdgeNorm.Model.Ir.Attribute;

namespace EdgeNorm.Onnx;

/// <summary>
/// Reads an ONNX file into the float IR (raw ONNX ops, no fusion): initializers (raw and typed fields, external
/// data confined to the model's folder), Constant nodes as initializers, declared input/output/value shapes with
/// symbolic dims; then, unless disabled, shape inference, constant folding and dead-node removal
/// (<see cref="GraphOptimizer"/>), and a check that the float executor supports every remaining node.
/// </summary>
public static class OnnxModelLoader
{
    public const int MinOpset = 13;
    public const int MaxOpset = 17;

    public static Graph Load(string path, OnnxLoadOptions? options = null)
    {
        options ??= new OnnxLoadOptions();
        string full;
        try { full = Path.GetFullPath(path); }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new OnnxImportException($"{path}: not a valid path ({e.Message})", e);
        }
        var model = Parse(full, options);
        var dir = Path.GetDirectoryName(full) ?? ".";
        return Guarded(Path.GetFileName(full), () => Convert(model, Path.GetFileName(full), new ExternalDataReader(dir, options.MaxExternalBytes), options));
    }

    /// <summary>Loads from bytes already in memory; external data, if any, is looked up in <paramref name="baseDirectory"/>.</summary>
    public static Graph Load(byte[] bytes, string? baseDirectory = null, OnnxLoadOptions? options = null, string displayName = "model")
    {
        options ??= new OnnxLoadOptions();
        ModelProto model;
        try
        {
            using var input = CodedInputStream.CreateWithLimits(new MemoryStream(bytes, writable: false), int.MaxValue, options.RecursionLimit);
            model = ModelProto.Parser.ParseFrom(input);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw Corrupt(displayName, e);
        }
        return Guarded(displayName, () => Convert(model, displayName, baseDirectory is null ? null : new ExternalDataReader(baseDirectory, options.MaxExternalBytes), options));
    }

    /// <summary>
    /// A malformed model must surface as an <see cref="OnnxImportException"/>; this catches what slipped past the
    /// specific checks (an inconsistent graph that trips an op's shape arithmetic, say).
    /// </summary>
    internal static T Guarded<T>(string name, Func<T> convert)
    {
        try { return convert(); }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IndexOutOfRangeException
            or OverflowException or FormatException or KeyNotFoundException)
        {
            throw new OnnxImportException($"{name}: the model is inconsistent and cannot be imported ({e.GetType().Name}: {e.Message})", e);
        }
    }

    private static OnnxImportException Corrupt(string name, Exception e) =>
        new($"{name}: not a valid ONNX model — the protobuf data is corrupt or truncated ({e.Message})", e);

    private static ModelProto Parse(string path, OnnxLoadOptions options)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists) throw new OnnxImportException($"{path}: file not found");
            if (info.Length > options.MaxModelBytes)
                throw new OnnxImportException($"{path}: {info.Length} bytes exceeds the limit of {options.MaxModelBytes} bytes for an ONNX file (keep large weights as external data)");
            if (info.Length == 0) throw new OnnxImportException($"{path}: the file is empty");
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            using var input = CodedInputStream.CreateWithLimits(stream, (int)Math.Min(options.MaxModelBytes, int.MaxValue), options.RecursionLimit);
            return ModelProto.Parser.ParseFrom(input);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw Corrupt(Path.GetFileName(path), e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OnnxImportException($"{path}: cannot read the file ({e.Message})", e);
        }
    }

    private static Graph Convert(ModelProto model, string name, ExternalDataReader? external, OnnxLoadOptions options)
    {
        if (model.Graph is null || (model.Graph.Node.Count == 0 && model.Graph.Output.Count == 0))
            throw new OnnxImportException($"{name}: not an ONNX model (no graph found; the file may be corrupt or another format)");
        if (model.IrVersion <= 0)
            throw new OnnxImportException($"{name}: not a valid ONNX model (ir_version is missing)");
        int opset = DefaultOpset(model, name);
        var gp = model.Graph;
        var graph = new Graph { Name = gp.Name, Opset = opset };
        foreach (var kv in model.MetadataProps) graph.Metadata[kv.Key] = kv.Value;
        if (model.HasProducerName) graph.Metadata["onnx.producer_name"] = model.ProducerName;
        if (model.HasProducerVersion) graph.Metadata["onnx.producer_version"] = model.ProducerVersion;

        foreach (var init in gp.Initializer)
        {
            if (string.IsNullOrEmpty(init.Name)) throw new OnnxImportException($"{name}: an initializer has no name");
            if (graph.Initializers.ContainsKey(init.Name)) throw new OnnxImportException($"{name}: initializer '{init.Name}' is defined twice");
            graph.Initializers[init.Name] = OnnxTensors.FromProto(init, external, $"{name}: initializer '{init.Name}'");
        }

        foreach (var vi in gp.Input)
        {
            if (graph.Initializers.ContainsKey(vi.Name)) continue;   // an input with a default value: a constant for us
            graph.Inputs.Add(ToValueInfo(vi, name, "graph input", requireShape: true));
        }
        foreach (var vi in gp.Output)
            graph.Outputs.Add(ToValueInfo(vi, name, "graph output", requireShape: false));
        foreach (var vi in gp.ValueInfo)
        {
            if (vi.Type?.TensorType is null || vi.Type.TensorType.Shape is null) continue;
            if (OnnxTensors.IrType(vi.Type.TensorType.ElemType) is null) continue;
            graph.ValueInfos[vi.Name] = ToValueInfo(vi, name, "value", requireShape: false);
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        int index = 0;
        foreach (var np in gp.Node)
        {
            index++;
            string nodeName = string.IsNullOrEmpty(np.Name) ? $"{np.OpType}_{index}" : np.Name;
            if (!names.Add(nodeName))
            {
                string baseName = nodeName;
                for (int k = 2; !names.Add(nodeName = $"{baseName}_{k}"); k++) { }
            }
            string domain = np.Domain == "ai.onnx" ? "" : np.Domain ?? "";
            var node = new Node { Name = nodeName, OpType = np.OpType ?? "", Domain = domain };
            node.Inputs.AddRange(np.Input);
            node.Outputs.AddRange(np.Output);
            foreach (var a in np.Attribute)
                if (ToAttribute(a, external, name, nodeName) is { } attr) node.Attributes[a.Name] = attr;

            if (domain.Length == 0 && node.OpType == "Constant")
            {
                if (node.Outputs.Count != 1 || node.Outputs[0].Length == 0)
                    throw new OnnxImportException($"{name}: Constant node '{nodeName}' must have one output");
                Tensor value;
                try { value = ConstantOp.Value(node); }
                catch (FloatOpException e) { throw new OnnxImportException($"{name}: Constant node '{nodeName}': {e.Message}", e); }
                if (graph.Initializers.ContainsKey(node.Outputs[0]))
                    throw new OnnxImportException($"{name}: tensor '{node.Outputs[0]}' is defined twice");
                graph.Initializers[node.Outputs[0]] = value;
                continue;
            }
            graph.Nodes.Add(node);
        }

        // Topological order (ONNX requires it; be robust anyway) and dangling-input check.
        List<Node> order;
        try { order = GraphOrder.Sort(graph); }
        catch (EdgeNormException e) { throw new OnnxImportException($"{name}: {e.Message}", e); }
        graph.Nodes.Clear();
        graph.Nodes.AddRange(order);
        var produced = new HashSet<string>(graph.Initializers.Keys, StringComparer.Ordinal);
        foreach (var i in graph.Inputs) produced.Add(i.Name);
        foreach (var n in graph.Nodes) foreach (var o in n.Outputs) produced.Add(o);
        foreach (var o in graph.Outputs)
            if (!produced.Contains(o.Name))
                throw new OnnxImportException($"{name}: graph output '{o.Name}' is produced by no node, initializer or input");

        if (options.Optimize)
        {
            try
            {
                GraphOptimizer.Optimize(graph, options.DimValues, options.MaxFoldedElements);
                ShapeInference.Annotate(graph, options.DimValues);
            }
            catch (OnnxImportException e) { throw new OnnxImportException($"{name}: {e.Message}", e); }
            catch (EdgeNormException e) { throw new OnnxImportException($"{name}: {e.Message}", e); }
        }

        if (options.CheckSupportedOps) CheckSupported(graph, name, model);
        graph.Metadata["onnx.file"] = name;
        return graph;
    }

    private static int DefaultOpset(ModelProto model, string name)
    {
        long? opset = null;
        foreach (var o in model.OpsetImport)
            if (string.IsNullOrEmpty(o.Domain) || o.Domain == "ai.onnx") opset = o.Version;
        if (opset is null)
            throw new OnnxImportException($"{name}: the model imports no opset of the default ONNX domain");
        if (opset < MinOpset || opset > MaxOpset)
            throw new OnnxImportException($"{name}: opset {opset} is not supported; EdgeNorm reads opsets {MinOpset}–{MaxOpset} " +
                $"(re-export with torch.onnx.export(..., opset_version={Math.Clamp(opset.Value, MinOpset, MaxOpset)}))");
        return (int)opset.Value;
    }

    private static ValueInfo ToValueInfo(ValueInfoProto vi, string model, string what, bool requireShape)
    {
        if (string.IsNullOrEmpty(vi.Name)) throw new OnnxImportException($"{model}: a {what} has no name");
        var tt = vi.Type?.TensorType;
        if (tt is null)
        {
            if (requireShape) throw new OnnxImportException($"{model}: {what} '{vi.Name}' is not a tensor (sequences, maps and optionals are not supported)");
            return new ValueInfo(vi.Name, DataType.Undefined, []);
        }
        var type = OnnxTensors.IrType(tt.ElemType);
        if (type is null && requireShape)
            throw new OnnxImportException($"{model}: {what} '{vi.Name}' has data type {OnnxTensors.TypeName(tt.ElemType)}, which EdgeNorm does not support");
        if (tt.Shape is null)
        {
            if (requireShape) throw new OnnxImportException($"{model}: {what} '{vi.Name}' declares no shape; re-export the model with input shapes");
            return new ValueInfo(vi.Name, type ?? DataType.Undefined, []);
        }
        var dims = new Dim[tt.Shape.Dim.Count];
        for (int i = 0; i < dims.Length; i++)
        {
            var d = tt.Shape.Dim[i];
            if (d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue && d.DimValue >= 0)
                dims[i] = Dim.Of(d.DimValue);
            else if (d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam && d.DimParam.Length > 0)
                dims[i] = Dim.Sym(d.DimParam.Replace('*', '_'));
            else
                dims[i] = Dim.Sym($"{vi.Name}_dim{i}");
        }
        return new ValueInfo(vi.Name, type ?? DataType.Undefined, dims);
    }

    private static Attribute? ToAttribute(AttributeProto a, ExternalDataReader? external, string model, string node)
    {
        var type = a.HasType ? a.Type : Guess(a);
        switch (type)
        {
            case AttributeProto.Types.AttributeType.Float: return Attribute.Of(a.F);
            case AttributeProto.Types.AttributeType.Int: return Attribute.Of(a.I);
            case AttributeProto.Types.AttributeType.String: return Attribute.Of(a.S.ToStringUtf8());
            case AttributeProto.Types.AttributeType.Floats: return Attribute.Of(a.Floats.ToArray());
            case AttributeProto.Types.AttributeType.Ints: return Attribute.Of(a.Ints.ToArray());
            case AttributeProto.Types.AttributeType.Strings: return Attribute.Of(a.Strings.Select(s => s.ToStringUtf8()).ToArray());
            case AttributeProto.Types.AttributeType.Tensor:
                if (a.T is null) return null;
                return Attribute.Of(OnnxTensors.FromProto(a.T, external, $"{model}: attribute '{a.Name}' of node '{node}'"));
            default:
                // graphs, sparse tensors, type protos: only ops EdgeNorm does not support use them; the op check reports the node.
                return null;
        }
    }

    private static AttributeProto.Types.AttributeType Guess(AttributeProto a)
    {
        if (a.T is not null) return AttributeProto.Types.AttributeType.Tensor;
        if (a.Ints.Count > 0) return AttributeProto.Types.AttributeType.Ints;
        if (a.Floats.Count > 0) return AttributeProto.Types.AttributeType.Floats;
        if (a.Strings.Count > 0) return AttributeProto.Types.AttributeType.Strings;
        if (a.HasS) return AttributeProto.Types.AttributeType.String;
        if (a.HasF) return AttributeProto.Types.AttributeType.Float;
        if (a.HasI) return AttributeProto.Types.AttributeType.Int;
        return AttributeProto.Types.AttributeType.Undefined;
    }

    /// <summary>Every node without a float op, reported at once.</summary>
    public static void CheckSupported(Graph graph, string modelName) => CheckSupported(graph, modelName, null);

    private static void CheckSupported(Graph graph, string modelName, ModelProto? model)
    {
        var bad = new List<UnsupportedNode>();
        foreach (var n in graph.Nodes)
        {
            if (FloatOps.TryGet(n.Domain, n.OpType, out _)) continue;
            long opset = n.Domain.Length == 0 ? graph.Opset
                : model?.OpsetImport.FirstOrDefault(o => o.Domain == n.Domain)?.Version ?? 0;
            bad.Add(new UnsupportedNode(n.Name, n.OpType, n.Domain, opset));
        }
        if (bad.Count > 0) throw new UnsupportedOpsException(modelName, bad);
    }
}
