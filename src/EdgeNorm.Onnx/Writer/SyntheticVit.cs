namespace EdgeNorm.Onnx.Writer;

/// <summary>Shape of a <see cref="SyntheticVit"/> model.</summary>
public sealed record VitShape(int Depth, int Dim, int Heads, int MlpDim, int Image, int Patch, int Channels, int Classes)
{
    /// <summary>DeiT-Tiny: 12 blocks, width 192, 3 heads, MLP 768, 224×224×3, patch 16 (196 + 1 tokens), 1000 classes.</summary>
    public static VitShape DeitTiny { get; } = new(12, 192, 3, 768, 224, 16, 3, 1000);

    public int Tokens => (Image / Patch) * (Image / Patch) + 1;
}

/// <summary>
/// A DeiT-shaped ViT with PRepBN norms (eval form: RepBN = Transpose → BatchNormalization + α·x → Transpose) and
/// random weights from a fixed seed, written node for node in the idioms torch 1.13 exports (the patterns of
/// tests/fixtures/vit_prepbn.onnx that src/EdgeNorm.Onnx/Fusion recognises). For benchmarks: no PyTorch needed.
/// Input "input" [N, C, H, W], output "logits" [N, classes].
/// </summary>
public sealed class SyntheticVit
{
    private readonly OnnxGraphWriter _w;
    private readonly Random _rng;
    private readonly VitShape _s;

    private SyntheticVit(VitShape shape, int seed)
    {
        _s = shape;
        _rng = new Random(seed);
        _w = new OnnxGraphWriter("synthetic_vit", opset: 13);
    }

    /// <summary>Builds the model; the same shape and seed give the same bytes.</summary>
    public static OnnxGraphWriter Build(VitShape shape, int seed = 1)
    {
        if (shape.Image % shape.Patch != 0 || shape.Dim % shape.Heads != 0)
            throw new ArgumentException("image must be a multiple of patch and dim of heads", nameof(shape));
        var b = new SyntheticVit(shape, seed);
        b.Write();
        return b._w;
    }

    private void Write()
    {
        int d = _s.Dim;
        var x = _w.Input("input", OnnxGraphWriter.Float, "N", _s.Channels, _s.Image, _s.Image);
        var h = PatchEmbed(x);
        var cls = Param("cls_token", 0.02f, 1, 1, d);
        var target = _w.Node("Concat", [DimOf(h, 0), _w.Longs(1), _w.Longs(d)], ("axis", 0L));
        var expanded = _w.Node("Expand", [cls, target]);
        h = _w.Node("Concat", [expanded, h], ("axis", 1L));
        h = _w.Node("Add", [h, Param("pos_embed", 0.02f, 1, _s.Tokens, d)]);
        for (int i = 0; i < _s.Depth; i++)
        {
            h = _w.Node("Add", [h, Attention(RepBn(h))]);
            h = _w.Node("Add", [h, Linear(GeluErf(Linear(RepBn(h), d, _s.MlpDim)), _s.MlpDim, d)]);
        }
        h = RepBn(h);
        var first = _w.Node("Gather", [h, _w.LongScalar(0)], ("axis", 1L));
        Linear(first, d, _s.Classes, "logits");
        _w.Output("logits", OnnxGraphWriter.Float, "N", _s.Classes);
    }

    // ---- weights ----

    private float Normal()
    {
        double u = 1 - _rng.NextDouble(), v = _rng.NextDouble();
        return (float)(Math.Sqrt(-2 * Math.Log(u)) * Math.Cos(2 * Math.PI * v));
    }

    private string Param(string stem, float std, params long[] dims) => Param(stem, std, 0f, dims);

    private string Param(string stem, float std, float mean, params long[] dims)
    {
        var data = new float[dims.Aggregate(1L, (a, b) => a * b)];
        for (int i = 0; i < data.Length; i++) data[i] = mean + std * Normal();
        return _w.Floats(_w.Fresh(stem), data, dims);
    }

    // ---- torch export idioms ----

    /// <summary>dim(axis) of x as torch reads it: Shape → Gather(scalar) → Unsqueeze(0).</summary>
    private string DimOf(string x, int axis)
    {
        var shape = _w.Node("Shape", [x]);
        var g = _w.Node("Gather", [shape, _w.LongScalar(axis)], ("axis", 0L));
        return _w.Node("Unsqueeze", [g, _w.Longs(0)]);
    }

    private string ReshapeTo(string x, params string[] parts) => _w.Node("Reshape", [x, _w.Node("Concat", parts, ("axis", 0L))]);

    /// <summary>nn.Linear: MatMul(x, Wᵀ) then Add(bias, ·); weights ~ N(0, 1/K) so activations keep unit scale.</summary>
    private string Linear(string x, int k, int n, string? output = null)
    {
        var mm = _w.Node("MatMul", [x, Param("weight", 1f / MathF.Sqrt(k), k, n)]);
        var bias = Param("bias", 0.02f, n);
        if (output is null) return _w.Node("Add", [bias, mm]);
        _w.NodeTo("Add", [bias, mm], [output]);
        return output;
    }

    private string PatchEmbed(string x)
    {
        int p = _s.Patch, c = _s.Channels;
        var conv = _w.Node("Conv", [x, Param("patch_weight", 1f / MathF.Sqrt(c * p * p), _s.Dim, c, p, p), Param("patch_bias", 0.02f, _s.Dim)],
            ("kernel_shape", new long[] { p, p }), ("strides", new long[] { p, p }), ("pads", new long[] { 0, 0, 0, 0 }),
            ("dilations", new long[] { 1, 1 }), ("group", 1L));
        var shape = _w.Node("Shape", [conv]);
        var slice = _w.Node("Slice", [shape, _w.Longs(0), _w.Longs(2), _w.Longs(0)]);
        var target = _w.Node("Concat", [slice, _w.Longs(-1)], ("axis", 0L));
        var r = _w.Node("Reshape", [conv, target]);
        return _w.Node("Transpose", [r], ("perm", new long[] { 0, 2, 1 }));
    }

    /// <summary>SLAB RepBN in eval mode (what PRepBN exports as): Transpose → BN, Mul(α, transposed), Add, Transpose.</summary>
    private string RepBn(string x)
    {
        int c = _s.Dim;
        var t = _w.Node("Transpose", [x], ("perm", new long[] { 0, 2, 1 }));
        var var = new float[c];
        for (int i = 0; i < c; i++) var[i] = 1f + 0.3f * MathF.Abs(Normal());
        var bn = _w.Node("BatchNormalization",
            [t, Param("bn_weight", 0.1f, 1f, c), Param("bn_bias", 0.1f, c), Param("bn_mean", 0.1f, c), _w.Floats(_w.Fresh("bn_var"), var, c)],
            ("epsilon", 1e-5f), ("momentum", 0.9f));
        var m = _w.Node("Mul", [_w.Floats(_w.Fresh("alpha"), [0.5f + 0.1f * Normal()], 1), t]);
        var y = _w.Node("Add", [bn, m]);
        return _w.Node("Transpose", [y], ("perm", new long[] { 0, 2, 1 }));
    }

    /// <summary>torch's nn.GELU() (erf form): Div(x, √2) → Erf → Add 1 → Mul x → Mul 0.5.</summary>
    private string GeluErf(string x)
    {
        var div = _w.Node("Div", [x, _w.Scalar(1.4142135f)]);
        var erf = _w.Node("Erf", [div]);
        var add = _w.Node("Add", [erf, _w.Scalar(1f)]);
        var mul = _w.Node("Mul", [x, add]);
        return _w.Node("Mul", [mul, _w.Scalar(0.5f)]);
    }

    /// <summary>timm attention (packed qkv, Split + Squeeze, (q@kᵀ)·scale, softmax, @v, merge heads) plus proj.</summary>
    private string Attention(string x)
    {
        int d = _s.Dim, heads = _s.Heads;
        var qkv = Linear(x, d, 3 * d);
        var r = ReshapeTo(qkv, DimOf(x, 0), DimOf(x, 1), _w.Longs(3), _w.Longs(heads), _w.Longs(d / heads));
        var p = _w.Node("Transpose", [r], ("perm", new long[] { 2, 0, 3, 1, 4 }));
        var split = _w.NodeN("Split", [p, _w.Longs(1, 1, 1)], 3, "", ("axis", 0L));
        var q = _w.Node("Squeeze", [split[0], _w.Longs(0)]);
        var k = _w.Node("Squeeze", [split[1], _w.Longs(0)]);
        var v = _w.Node("Squeeze", [split[2], _w.Longs(0)]);
        var kt = _w.Node("Transpose", [k], ("perm", new long[] { 0, 1, 3, 2 }));
        var s = _w.Node("MatMul", [q, kt]);
        var scaled = _w.Node("Mul", [s, _w.Scalar(MathF.Pow(d / heads, -0.5f))]);
        var sm = _w.Node("Softmax", [scaled], ("axis", -1L));
        var o = _w.Node("MatMul", [sm, v]);
        var t = _w.Node("Transpose", [o], ("perm", new long[] { 0, 2, 1, 3 }));
        var merged = ReshapeTo(t, DimOf(x, 0), DimOf(x, 1), DimOf(x, 2));
        return Linear(merged, d, d);
    }
}
