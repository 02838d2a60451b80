using EdgeNorm.Model.Ir;
using Attribute = EdgeNorm.Model.Ir.Attribute;

namespace EdgeNorm.Calibration.Tests.Gradients;

/// <summary>Builds small float graphs for gradient checks: named inputs, seeded random weights, one node per call.</summary>
internal sealed class TestGraph
{
    private readonly Random _rng;
    private int _next;

    public Graph Graph { get; } = new() { Opset = 17 };
    public Dictionary<string, int[]> Shapes { get; } = new(StringComparer.Ordinal);

    public TestGraph(int seed = 1, int opset = 17)
    {
        _rng = new Random(seed);
        Graph.Opset = opset;
    }

    public string Input(string name, params int[] shape)
    {
        Graph.Inputs.Add(new ValueInfo(name, DataType.Float32, shape.Select(d => Dim.Of(d)).ToArray()));
        Shapes[name] = shape;
        return name;
    }

    /// <summary>A float initializer with values uniform in offset ± scale.</summary>
    public string Weight(int[] shape, double scale = 0.5, double offset = 0)
    {
        string name = $"w{_next++}";
        var data = new float[Tensor.ElementCount(shape)];
        for (int i = 0; i < data.Length; i++) data[i] = (float)(offset + scale * (2 * _rng.NextDouble() - 1));
        Graph.Initializers[name] = Tensor.FromFloats(shape, data);
        return name;
    }

    public string Ints(params long[] values)
    {
        string name = $"i{_next++}";
        Graph.Initializers[name] = Tensor.FromLongs(DataType.Int64, [values.Length], values);
        return name;
    }

    public string ScalarInt(long value)
    {
        string name = $"i{_next++}";
        Graph.Initializers[name] = Tensor.FromLongs(DataType.Int64, [], [value]);
        return name;
    }

    public string Op(string opType, string[] inputs, params (string Name, Attribute Value)[] attributes) =>
        Ops(opType, "", inputs, 1, attributes)[0];

    public string Fused(string opType, string[] inputs, params (string Name, Attribute Value)[] attributes) =>
        Ops(opType, Node.EdgeNormDomain, inputs, 1, attributes)[0];

    public string[] Ops(string opType, string domain, string[] inputs, int outputs, params (string Name, Attribute Value)[] attributes)
    {
        var outs = Enumerable.Range(0, outputs).Select(_ => $"t{_next++}").ToArray();
        var node = new Node { Name = $"n{_next++}_{opType}", OpType = opType, Domain = domain, Inputs = [.. inputs], Outputs = [.. outs] };
        foreach (var (n, v) in attributes) node.Attributes[n] = v;
        Graph.Nodes.Add(node);
        return outs;
    }

    /// <summary>Declares the graph outputs (the executor needs at least one).</summary>
    public TestGraph Outputs(params string[] names)
    {
        foreach (var n in names) Graph.Outputs.Add(new ValueInfo(n, DataType.Float32, []));
        return this;
    }
}
