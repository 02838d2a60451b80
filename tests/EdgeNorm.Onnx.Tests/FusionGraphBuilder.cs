using EdgeNorm.Model.Ir;
using IrAttribute = EdgeNorm.Model.Ir.Attribute;

namespace EdgeNorm.Onnx.Tests;

/// <summary>
/// Builds small float-IR graphs in the shapes torch 1.13 exports them (the node sequences of
/// tests/fixtures/*.onnx), with deterministic random weights, for the fusion unit tests.
/// </summary>
internal sealed class FusionGraphBuilder
{
    private readonly Random _rng;
    private int _next;

    public Graph Graph { get; } = new() { Name = "test", Opset = 13 };

    public FusionGraphBuilder(int seed = 1) => _rng = new Random(seed);

    public string Input(string name, params int[] dims) => Input(name, DataType.Float32, dims);

    /// <summary>A graph input; dimension −1 is the symbolic batch "N".</summary>
    public string Input(string name, DataType type, params int[] dims)
    {
        Graph.Inputs.Add(new ValueInfo(name, type, dims.Select(d => d < 0 ? Dim.Sym("N") : Dim.Of(d)).ToArray()));
        return name;
    }

    public void Output(string name) => Graph.Outputs.Add(new ValueInfo(name, DataType.Float32, []));

    public string Init(Tensor t, string? name = null)
    {
        name ??= $"init{_next++}";
        Graph.Initializers[name] = t;
        return name;
    }

    public string Random(params int[] shape) => Random(1f, 0f, shape);

    public string Random(float scale, float offset, params int[] shape)
    {
        var data = new float[Tensor.ElementCount(shape)];
        for (int i = 0; i < data.Length; i++) data[i] = offset + scale * (float)(_rng.NextDouble() * 2 - 1);
        return Init(Tensor.FromFloats(shape, data));
    }

    public string Scalar(float v) => Init(Tensor.Scalar(v));
    public string Ints(params long[] v) => Init(Tensor.FromLongs(DataType.Int64, [v.Length], v));
    public string IntScalar(long v) => Init(Tensor.FromLongs(DataType.Int64, [], [v]));

    /// <summary>A Constant node (as torch emits them) rather than an initializer.</summary>
    public string ConstantNode(Tensor t) => Op("Constant", [], ("value", IrAttribute.Of(t)));

    public string Op(string opType, string[] inputs, params (string Name, IrAttribute Value)[] attributes) =>
        OpN(opType, inputs, 1, attributes)[0];

    public string[] OpN(string opType, string[] inputs, int outputs, params (string Name, IrAttribute Value)[] attributes)
    {
        int id = _next++;
        var node = new Node
        {
            Name = $"/{opType}_{id}",
            OpType = opType,
            Inputs = [.. inputs],
            Outputs = [.. Enumerable.Range(0, outputs).Select(i => $"/{opType}_{id}_output_{i}")],
        };
        foreach (var (n, v) in attributes) node.Attributes[n] = v;
        Graph.Nodes.Add(node);
        return [.. node.Outputs];
    }

    public static (string, IrAttribute) A(string name, long v) => (name, IrAttribute.Of(v));
    public static (string, IrAttribute) A(string name, float v) => (name, IrAttribute.Of(v));
    public static (string, IrAttribute) A(string name, long[] v) => (name, IrAttribute.Of(v));

    // ---- torch export idioms ----

    /// <summary>dim(axis) of x as torch reads it: Shape → Gather(scalar) → Unsqueeze(0), a 1-element vector.</summary>
    public string DimOf(string x, int axis)
    {
        var shape = Op("Shape", [x]);
        var g = Op("Gather", [shape, IntScalar(axis)], A("axis", 0L));
        return Op("Unsqueeze", [g, Ints(0)]);
    }

    /// <summary>Reshape with a target built by Concat from torch idioms (1-element vectors).</summary>
    public string ReshapeTo(string x, params string[] parts) => Op("Reshape", [x, Op("Concat", parts, A("axis", 0L))]);

    public string Linear(string x, int k, int n)
    {
        var mm = Op("MatMul", [x, Random(0.3f, 0f, k, n)]);
        return Op("Add", [Random(0.1f, 0f, n), mm]);
    }

    /// <summary>torch's decomposed LayerNorm (opset 13–16).</summary>
    public string LayerNormDecomposed(string x, int d, float eps = 1e-6f, float exponent = 2f)
    {
        var mean = Op("ReduceMean", [x], A("axes", new long[] { -1 }));
        var sub = Op("Sub", [x, mean]);
        var pow = Op("Pow", [sub, ConstantNode(Tensor.Scalar(exponent))]);
        var var = Op("ReduceMean", [pow], A("axes", new long[] { -1 }));
        var add = Op("Add", [var, ConstantNode(Tensor.Scalar(eps))]);
        var sqrt = Op("Sqrt", [add]);
        var div = Op("Div", [sub, sqrt]);
        var mul = Op("Mul", [div, Random(0.2f, 1f, d)]);
        return Op("Add", [mul, Random(0.1f, 0f, d)]);
    }

    /// <summary>The fixtures' L1Norm: c = x − mean; d = mean|c|; c / (k·d + ε) · w + b.</summary>
    public string L1Norm(string x, int d, float? k = 1.2533141f, float? eps = 1e-5f)
    {
        var mean = Op("ReduceMean", [x], A("axes", new long[] { -1 }), A("keepdims", 1L));
        var c = Op("Sub", [x, mean]);
        var abs = Op("Abs", [c]);
        var mad = Op("ReduceMean", [abs], A("axes", new long[] { -1 }), A("keepdims", 1L));
        string denom = k is { } kv ? Op("Mul", [mad, Scalar(kv)]) : mad;
        if (eps is { } e) denom = Op("Add", [denom, Scalar(e)]);
        var div = Op("Div", [c, denom]);
        var mul = Op("Mul", [div, Random(0.2f, 1f, d)]);
        return Op("Add", [mul, Random(0.1f, 0f, d)]);
    }

    /// <summary>torch's nn.GELU() (erf form): Div(x, √2) → Erf → Add 1 → Mul x → Mul 0.5.</summary>
    public string GeluErf(string x, float sqrt2 = 1.4142135f)
    {
        var div = Op("Div", [x, Scalar(sqrt2)]);
        var erf = Op("Erf", [div]);
        var add = Op("Add", [erf, Scalar(1f)]);
        var mul = Op("Mul", [x, add]);
        return Op("Mul", [mul, Scalar(0.5f)]);
    }

    /// <summary>torch's nn.GELU(approximate="tanh") at opset 13–17 (x·x·x form).</summary>
    public string GeluTanh(string x, float c = 0.044715f)
    {
        var x2 = Op("Mul", [x, x]);
        var x3 = Op("Mul", [x, x2]);
        var t = Op("Mul", [Scalar(c), x3]);
        var inner = Op("Add", [x, t]);
        var scaled = Op("Mul", [Scalar(0.7978846f), inner]);
        var tanh = Op("Tanh", [scaled]);
        var add = Op("Add", [Scalar(1f), tanh]);
        var mul = Op("Mul", [x, add]);
        return Op("Mul", [Scalar(0.5f), mul]);
    }

    /// <summary>timm attention on x [B,S,D] (packed qkv, Split + Squeeze, (q@kᵀ)·scale, softmax, @v, merge), plus proj.</summary>
    public string TimmAttention(string x, int d, int heads, bool useGather = false, bool sequenceAsMinusOne = false)
    {
        var qkv = Linear(x, d, 3 * d);
        var r = ReshapeTo(qkv, DimOf(x, 0), sequenceAsMinusOne ? Ints(-1) : DimOf(x, 1), Ints(3), Ints(heads), Ints(d / heads));
        var p = Op("Transpose", [r], A("perm", new long[] { 2, 0, 3, 1, 4 }));
        string q, k, v;
        if (useGather)
        {
            q = Op("Gather", [p, IntScalar(0)], A("axis", 0L));
            k = Op("Gather", [p, IntScalar(1)], A("axis", 0L));
            v = Op("Gather", [p, IntScalar(2)], A("axis", 0L));
        }
        else
        {
            var split = OpN("Split", [p, Ints(1, 1, 1)], 3, A("axis", 0L));
            q = Op("Squeeze", [split[0], Ints(0)]);
            k = Op("Squeeze", [split[1], Ints(0)]);
            v = Op("Squeeze", [split[2], Ints(0)]);
        }
        var kt = Op("Transpose", [k], A("perm", new long[] { 0, 1, 3, 2 }));
        var s = Op("MatMul", [q, kt]);
        var scaled = Op("Mul", [s, ConstantNode(Tensor.Scalar(MathF.Pow(d / heads, -0.5f)))]);
        var sm = Op("Softmax", [scaled], A("axis", -1L));
        var o = Op("MatMul", [sm, v]);
        var t = Op("Transpose", [o], A("perm", new long[] { 0, 2, 1, 3 }));
        var merged = ReshapeTo(t, DimOf(x, 0), DimOf(x, 1), DimOf(x, 2));
        return Linear(merged, d, d);
    }

    /// <summary>HF BERT self-attention on x [B,S,D] with an additive mask [B,1,1,S] (separate q, k, v; Div by √Dh).</summary>
    public string BertAttention(string x, string mask, int d, int heads)
    {
        string Split(string t) => Op("Transpose", [ReshapeTo(t, DimOf(t, 0), DimOf(t, 1), Ints(heads), Ints(d / heads))],
            A("perm", new long[] { 0, 2, 1, 3 }));
        var q = Split(Linear(x, d, d));
        var kl = Linear(x, d, d);
        var kt = Op("Transpose", [ReshapeTo(kl, DimOf(kl, 0), DimOf(kl, 1), Ints(heads), Ints(d / heads))],
            A("perm", new long[] { 0, 2, 3, 1 }));
        var v = Split(Linear(x, d, d));
        var s = Op("MatMul", [q, kt]);
        var div = Op("Div", [s, Scalar(MathF.Sqrt(d / heads))]);
        var add = Op("Add", [div, mask]);
        var sm = Op("Softmax", [add], A("axis", -1L));
        var o = Op("MatMul", [sm, v]);
        var t = Op("Transpose", [o], A("perm", new long[] { 0, 2, 1, 3 }));
        var merged = ReshapeTo(t, DimOf(t, 0), DimOf(t, 1), Ints(d));
        return Linear(merged, d, d);
    }

    /// <summary>The extended BERT mask from an int64 attention mask [B,S]: (1 − mask[:,None,None,:]) · −10000.</summary>
    public string BertMask(string attentionMask)
    {
        var u = Op("Unsqueeze", [Op("Unsqueeze", [attentionMask, Ints(1)]), Ints(2)]);
        var f = Op("Cast", [u], A("to", 1L));
        var sub = Op("Sub", [Scalar(1f), f]);
        return Op("Mul", [sub, Scalar(-10000f)]);
    }

    /// <summary>SLAB RepBN on x [B,N,C]: Transpose → BN, Mul(α, transposed), Add, Transpose.</summary>
    public string RepBn(string x, int c, bool withAlpha = true)
    {
        var t = Op("Transpose", [x], A("perm", new long[] { 0, 2, 1 }));
        var bn = Op("BatchNormalization", [t, Random(0.3f, 1f, c), Random(0.2f, 0f, c), Random(0.5f, 0f, c), Random(0.4f, 1f, c)],
            A("epsilon", 1e-5f), A("momentum", 0.9f));
        string y = bn;
        if (withAlpha)
        {
            var m = Op("Mul", [Init(Tensor.FromFloats([1], [0.8f])), t]);
            y = Op("Add", [bn, m]);
        }
        return Op("Transpose", [y], A("perm", new long[] { 0, 2, 1 }));
    }

    /// <summary>Conv patch embedding (kernel = stride) → flatten(2) (Shape → Slice → Concat → Reshape) → Transpose.</summary>
    public string PatchEmbed(string x, int cin, int d, int k, int stride = -1)
    {
        if (stride < 0) stride = k;
        var conv = Op("Conv", [x, Random(0.3f, 0f, d, cin, k, k), Random(0.1f, 0f, d)],
            A("kernel_shape", new long[] { k, k }), A("strides", new long[] { stride, stride }),
            A("pads", new long[] { 0, 0, 0, 0 }), A("dilations", new long[] { 1, 1 }), A("group", 1L));
        var shape = Op("Shape", [conv]);
        var slice = Op("Slice", [shape, Ints(0), Ints(2), Ints(0)]);
        var target = Op("Concat", [slice, Ints(-1)], A("axis", 0L));
        var r = Op("Reshape", [conv, target]);
        return Op("Transpose", [r], A("perm", new long[] { 0, 2, 1 }));
    }
}
