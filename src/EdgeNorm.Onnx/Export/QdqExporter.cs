using EdgeNorm.Model.Format;
using EdgeNorm.Model.Ir;
using EdgeNorm.Onnx.Proto;
using EdgeNorm.Onnx.Writer;
using EdgeNorm.Runtime;
using EdgeNorm.Runtime.Numerics;
using EdgeNorm.Runtime.Numerics.Offline;

namespace EdgeNorm.Onnx.Export;

/// <summary>
/// <c>.edgn</c> → QDQ ONNX for ONNX Runtime (docs/performance.md, docs/cli.md export-qdq). The integer ops are turned
/// back into float ops with the calibration's scales: every int8 value becomes QuantizeLinear → DequantizeLinear at
/// its stored scale (zero point 0), every matmul's weight is the stored int8 weight behind a per-channel
/// DequantizeLinear and its bias the stored int32 bias times s_x·s_w — the pattern ORT's QDQ transformer turns into
/// int8 kernels (MatMulIntegerToFloat, QLinearMatMul, QLinearConv). int16 residual values stay float. GELU (a
/// 256-entry table) is exported exactly as a Gather on the quantised codes; softmax and normalisation run in float.
/// </summary>
public static class QdqExporter
{
    /// <summary>Exports the model at <paramref name="edgnPath"/> to <paramref name="onnxPath"/> (written atomically).</summary>
    public static void Export(string edgnPath, string onnxPath)
    {
        using var model = EdgnModel.Open(edgnPath);
        OnnxFiles.WriteAtomically(onnxPath, Google.Protobuf.MessageExtensions.ToByteArray(Export(model)));
    }

    public static ModelProto Export(EdgnModel model) => new Builder(model).Build();

    private sealed class Builder(EdgnModel model)
    {
        private sealed record Value(string Float, string? Codes, float Scale, DataType DType, IReadOnlyList<long> Shape, long ZeroPoint = 0);

        private readonly OnnxGraphWriter _w = new("edgenorm_qdq", opset: 17);
        private readonly Dictionary<string, Value> _v = new(StringComparer.Ordinal);
        private readonly Dictionary<string, EdgnValue> _decl = model.Header.Inputs.Concat(model.Header.Values).Concat(model.Header.Outputs)
            .GroupBy(v => v.Name).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);

        public ModelProto Build()
        {
            foreach (var input in model.Header.Inputs)
            {
                object[] dims = [.. input.Shape.Select((d, i) => i == 0 || d < 0 ? (object)"N" : d)];
                if (input.DType == DataType.Int64)
                {
                    _w.Input(input.Name, OnnxGraphWriter.Int64, dims);
                    _v[input.Name] = new(input.Name, null, 1f, DataType.Int64, input.Shape);
                    continue;
                }
                _w.Input(input.Name, OnnxGraphWriter.Float, dims);
                Define(input.Name, input.Name);
            }
            foreach (var node in model.Header.Nodes) Emit(node);
            foreach (var output in model.Header.Outputs)
            {
                _w.NodeTo("Identity", [Get(output.Name).Float], [output.Name]);
                _w.Output(output.Name, OnnxGraphWriter.Float, [.. output.Shape.Select((d, i) => i == 0 || d < 0 ? (object)"N" : d)]);
            }
            var m = _w.ToModel("edgenorm export-qdq");
            foreach (var (k, v) in model.Header.Metadata) m.MetadataProps.Add(new StringStringEntryProto { Key = k, Value = v });
            return m;
        }

        private void Emit(EdgnNode n)
        {
            switch (n.OpType)
            {
                case IntegerOpNames.Linear: Linear(n); break;
                case IntegerOpNames.PatchEmbed: PatchEmbed(n); break;
                case IntegerOpNames.Attention: Attention(n); break;
                case IntegerOpNames.Norm: Norm(n); break;
                case IntegerOpNames.ChannelAffine: ChannelAffine(n); break;
                case IntegerOpNames.Lookup: Lookup(n); break;
                case IntegerOpNames.Add: Define(n.Outputs[0], _w.Node("Add", [Get(n.Inputs[0]).Float, Get(n.Inputs[1]).Float])); break;
                case IntegerOpNames.AddConstant: Define(n.Outputs[0], _w.Node("Add", [Get(n.Inputs[0]).Float, ConstFloat(n.Inputs[1])])); break;
                case IntegerOpNames.Requant: Define(n.Outputs[0], Get(n.Inputs[0]).Float); break;
                case IntegerOpNames.PrependToken: PrependToken(n); break;
                case IntegerOpNames.SelectToken:
                    Define(n.Outputs[0], _w.Node("Gather", [Get(n.Inputs[0]).Float, _w.LongScalar(n.GetInt("index", 0))], ("axis", 1L)));
                    break;
                case IntegerOpNames.Embedding: Define(n.Outputs[0], _w.Node("Gather", [ConstFloat(n.Inputs[1]), Get(n.Inputs[0]).Float])); break;
                default: throw new QdqExportException($"node '{n.Name}': export-qdq does not reconstruct integer op {n.OpType} yet");
            }
        }

        // ---- values ----

        /// <summary>Binds .edgn value <paramref name="name"/> to a float tensor; an int8 value gets its QuantizeLinear → DequantizeLinear pair.</summary>
        private void Define(string name, string floatTensor)
        {
            var decl = _decl.TryGetValue(name, out var d) ? d : throw new QdqExportException($"value '{name}' is not declared in the model");
            float scale = decl.Quant is { Scales.Count: 1 } q ? q.Scales[0] : 1f;
            if (decl.DType != DataType.Int8)
            {
                _v[name] = new(floatTensor, null, scale, decl.DType, decl.Shape);
                return;
            }
            long z = decl.Quant is { ZeroPoints.Count: 1 } qz ? qz.ZeroPoints[0] : 0;
            string s = _w.Floats(name + ".scale", [scale]);
            string zp = _w.SBytes(name + ".zero_point", [(sbyte)z]);
            string codes = _w.Node("QuantizeLinear", [floatTensor, s, zp]);
            _v[name] = new(_w.Node("DequantizeLinear", [codes, s, zp]), codes, scale, decl.DType, decl.Shape, z);
        }

        /// <summary>QuantizeLinear → DequantizeLinear again at <paramref name="v"/>'s scale (exact: the values are already on its grid).</summary>
        private string Requantized(string floatTensor, Value v)
        {
            string s = _w.Floats(_w.Fresh("scale"), [v.Scale]), zp = _w.SBytes(_w.Fresh("zero_point"), [(sbyte)v.ZeroPoint]);
            return _w.Node("DequantizeLinear", [_w.Node("QuantizeLinear", [floatTensor, s, zp]), s, zp]);
        }

        private Value Get(string name) => _v.TryGetValue(name, out var v) ? v
            : throw new QdqExportException($"value '{name}' is read before it is written (node order)");

        private EdgnTensor Tensor(string name) => model.Header.TryGetTensor(name, out var t) ? t
            : throw new QdqExportException($"tensor '{name}' is missing");

        private int[] Ints(string name) => model.GetTensorData<int>(name).ToArray();

        /// <summary>A stored int8/int16 constant (token, residual constant, embedding table) as float at its own scale.</summary>
        private string ConstFloat(string name)
        {
            var t = Tensor(name);
            float s = t.Quant is { Scales.Count: 1 } q ? q.Scales[0] : 1f;
            var f = t.DType switch
            {
                DataType.Int16 => model.GetTensorData<short>(name).ToArray().Select(v => v * s).ToArray(),
                DataType.Int8 => model.GetTensorData<sbyte>(name).ToArray().Select(v => v * s).ToArray(),
                _ => throw new QdqExportException($"tensor '{name}': {t.DType.Name()} constants are not exported"),
            };
            return _w.Floats(name, f, [.. t.Shape]);
        }

        private static double Real(int multiplier, int shift) => DyadicMultiplierBuilder.ToReal(new DyadicMultiplier(multiplier, shift));

        private static double Real(EdgnNode n, string attr) => n.GetInts(attr) is { Count: 2 } m ? Real((int)m[0], (int)m[1])
            : throw new QdqExportException($"node '{n.Name}': attribute {attr} is missing");

        // ---- matmuls ----

        /// <summary>
        /// The weight as int8 behind a per-channel DequantizeLinear and the bias in float: s_x·s_w·(b + z_x·Σ_k w), the
        /// stored bias without the input zero point's term (the float MatMul reads x − z_x already dequantised).
        /// </summary>
        private (string W, float[] Bias, int N, int K) Weight(EdgnNode n, Value x, bool transposeForMatMul)
        {
            var t = Tensor(n.Inputs[1]);
            if (!t.IsPacked || t.Shape.Count != 2 || t.Quant is not { IsPerChannel: true } q)
                throw new QdqExportException($"node '{n.Name}': the weight is not a packed per-channel int8 tensor");
            int outN = (int)t.Shape[0], k = (int)t.Shape[1];
            var w = PackedWeights.Unpack(model.GetTensorData(t), outN, k);
            var sw = q.Scales.ToArray();
            var bias = Ints(n.Inputs[2]);
            var bf = new float[outN];
            for (int r = 0; r < outN; r++)
            {
                long sum = 0;
                if (x.ZeroPoint != 0) for (int c = 0; c < k; c++) sum += w[r * k + c];
                bf[r] = (float)((bias[r] + x.ZeroPoint * sum) * (double)x.Scale * sw[r]);
            }
            sbyte[] stored = w;
            long[] dims = [outN, k];
            if (transposeForMatMul)
            {
                stored = new sbyte[w.Length];
                for (int r = 0; r < outN; r++)
                    for (int c = 0; c < k; c++) stored[c * outN + r] = w[r * k + c];
                dims = [k, outN];
            }
            string wq = _w.SBytes(n.Name + ".w", stored, dims);
            string ws = _w.Floats(n.Name + ".w.scale", sw, outN);
            string wz = _w.SBytes(n.Name + ".w.zero_point", new sbyte[outN], outN);
            return (_w.Node("DequantizeLinear", [wq, ws, wz], ("axis", transposeForMatMul ? 1L : 0L)), bf, outN, k);
        }

        private void Linear(EdgnNode n)
        {
            var x = Get(n.Inputs[0]);
            var (w, bias, outN, _) = Weight(n, x, transposeForMatMul: true);
            // ORT fuses a 2-D MatMul + Add into a float Gemm before its QDQ pass; a 3-D view keeps the int8 MatMul.
            bool flat = x.Shape.Count == 2;
            string input = flat ? Requantized(_w.Node("Unsqueeze", [x.Float, _w.Longs(1)]), x) : x.Float;
            string y = _w.Node("Add", [_w.Node("MatMul", [input, w]), _w.Floats(n.Name + ".bias", bias, outN)]);
            Define(n.Outputs[0], flat ? _w.Node("Squeeze", [y, _w.Longs(1)]) : y);
        }

        private void PatchEmbed(EdgnNode n)
        {
            var x = Get(n.Inputs[0]);
            var ks = n.GetInts("kernel_shape") ?? throw new QdqExportException($"node '{n.Name}': kernel_shape is missing");
            int c = (int)x.Shape[1];
            var (w, bias, outN, k) = Weight(n, x, transposeForMatMul: false);
            if (c * ks[0] * ks[1] != k) throw new QdqExportException($"node '{n.Name}': weight K {k} ≠ C·kh·kw");
            var w4 = _w.Node("Reshape", [w, _w.Longs(outN, c, ks[0], ks[1])]);
            var conv = _w.Node("Conv", [x.Float, w4, _w.Floats(n.Name + ".bias", bias, outN)],
                ("kernel_shape", ks.ToArray()), ("strides", ks.ToArray()));
            var flat = _w.Node("Reshape", [conv, _w.Longs(0, outN, -1)]);
            Define(n.Outputs[0], _w.Node("Transpose", [flat], ("perm", new long[] { 0, 2, 1 })));
        }

        // ---- attention ----

        private void Attention(EdgnNode n)
        {
            long heads = n.GetInt("num_heads", 1);
            bool packed = n.Inputs.Count < 2 || n.Inputs[1].Length == 0;
            var x = Get(n.Inputs[0]);
            long width = x.Shape[^1] / (packed ? 3 : 1), dh = width / heads;
            string q, k, v;
            float sq = x.Scale, sk;
            if (packed)
            {
                var r = _w.Node("Reshape", [x.Float, _w.Longs(0, 0, 3, heads, dh)]);
                var p = _w.Node("Transpose", [r], ("perm", new long[] { 2, 0, 3, 1, 4 }));
                q = _w.Node("Gather", [p, _w.LongScalar(0)], ("axis", 0L));
                k = _w.Node("Gather", [p, _w.LongScalar(1)], ("axis", 0L));
                v = _w.Node("Gather", [p, _w.LongScalar(2)], ("axis", 0L));
                sk = sq;
            }
            else
            {
                string Heads(Value t) => _w.Node("Transpose", [_w.Node("Reshape", [t.Float, _w.Longs(0, 0, heads, dh)])], ("perm", new long[] { 0, 2, 1, 3 }));
                var kv = Get(n.Inputs[1]);
                (q, k, v, sk) = (Heads(x), Heads(kv), Heads(Get(n.Inputs[2])), kv.Scale);
            }
            // The logit multiplier is s_q·s_k·scale / 2^-10 (Quantizer): recover the model's own softmax scale.
            double scale = Real(n, "logit_multiplier") * Math.ScaleB(1.0, -10) / ((double)sq * sk);
            var kt = _w.Node("Transpose", [k], ("perm", new long[] { 0, 1, 3, 2 }));
            var logits = _w.Node("Mul", [_w.Node("MatMul", [q, kt]), _w.Scalar((float)scale)]);
            if (n.Inputs.Count > 3 && n.Inputs[3].Length > 0)
            {
                var mask = _w.Node("Cast", [Get(n.Inputs[3]).Float], ("to", (long)OnnxGraphWriter.Float));
                var additive = _w.Node("Mul", [_w.Node("Sub", [_w.Scalar(1f), mask]), _w.Scalar(-10000f)]);
                logits = _w.Node("Add", [logits, _w.Node("Unsqueeze", [additive, _w.Longs(1, 2)])]);
            }
            var probs = _w.Node("Softmax", [logits], ("axis", -1L));
            var o = _w.Node("Transpose", [_w.Node("MatMul", [probs, v])], ("perm", new long[] { 0, 2, 1, 3 }));
            Define(n.Outputs[0], _w.Node("Reshape", [o, _w.Longs(0, 0, width)]));
        }

        // ---- per-channel requant ops ----

        /// <summary>f_c = sign_c·m_c·s_y (the requant factor in real units) and β_c = offset_c·s_y.</summary>
        private (float[] Factor, float[] Offset) ChannelRequant(EdgnNode n, float sy)
        {
            var mult = Ints(n.Inputs[1]);
            var shift = Ints(n.Inputs[2]);
            var sign = Ints(n.Inputs[3]);
            var off = Ints(n.Inputs[4]);
            var f = new float[mult.Length];
            var b = new float[mult.Length];
            for (int i = 0; i < f.Length; i++)
            {
                f[i] = (float)(sign[i] * Real(mult[i], shift[i]) * sy);
                b[i] = off[i] * sy;
            }
            return (f, b);
        }

        private float ScaleOf(string value) =>
            _decl.TryGetValue(value, out var d) && d.Quant is { Scales.Count: 1 } q ? q.Scales[0] : throw new QdqExportException($"value '{value}' has no scale");

        private void ChannelAffine(EdgnNode n)
        {
            var x = Get(n.Inputs[0]);
            var (f, b) = ChannelRequant(n, ScaleOf(n.Outputs[0]));
            for (int i = 0; i < f.Length; i++) f[i] /= x.Scale;
            var y = _w.Node("Add", [_w.Node("Mul", [x.Float, _w.Floats(n.Name + ".a", f, f.Length)]), _w.Floats(n.Name + ".b", b, b.Length)]);
            Define(n.Outputs[0], y);
        }

        private void Norm(EdgnNode n)
        {
            var x = Get(n.Inputs[0]);
            var (f, b) = ChannelRequant(n, ScaleOf(n.Outputs[0]));
            int c = f.Length;
            // The integer norm writes ŷ = 2^30·(q − μ)/S (S = √Σ(q − μ)² or Σ|q − μ|); the requant factor applies to ŷ.
            string kind = n.GetString("kind") ?? "";
            double unit = kind switch
            {
                "layernorm" => Math.ScaleB(1.0, 30) / Math.Sqrt(c),
                "l1norm" => Math.ScaleB(1.0, 30) / c,
                _ => throw new QdqExportException($"node '{n.Name}': norm kind '{kind}' is not exported"),
            };
            var gamma = f.Select(v => (float)(v * unit)).ToArray();
            string y;
            if (kind == "layernorm")
            {
                y = _w.Node("LayerNormalization", [x.Float, _w.Floats(n.Name + ".gamma", gamma, c), _w.Floats(n.Name + ".beta", b, c)],
                    ("axis", -1L), ("epsilon", 1e-12f));
            }
            else
            {
                var centred = _w.Node("Sub", [x.Float, _w.Node("ReduceMean", [x.Float], ("axes", new long[] { -1 }))]);
                var mad = _w.Node("ReduceMean", [_w.Node("Abs", [centred])], ("axes", new long[] { -1 }));
                var unitNorm = _w.Node("Div", [centred, _w.Node("Add", [mad, _w.Scalar(1e-30f)])]);
                y = _w.Node("Add", [_w.Node("Mul", [unitNorm, _w.Floats(n.Name + ".gamma", gamma, c)]), _w.Floats(n.Name + ".beta", b, c)]);
            }
            Define(n.Outputs[0], y);
        }

        // ---- the rest ----

        /// <summary>The exact table: y = table_f[q(x) + 128] on the int8 codes of x (GELU, tanh).</summary>
        private void Lookup(EdgnNode n)
        {
            var x = Get(n.Inputs[0]);
            if (x.Codes is null) throw new QdqExportException($"node '{n.Name}': the lookup input is not an int8 value");
            float sy = ScaleOf(n.Outputs[0]);
            long zy = _decl[n.Outputs[0]].Quant is { ZeroPoints.Count: 1 } q ? q.ZeroPoints[0] : 0;
            var table = model.GetTensorData<sbyte>(n.Inputs[1]).ToArray().Select(v => (v - zy) * sy).ToArray();
            var idx = _w.Node("Add", [_w.Node("Cast", [x.Codes], ("to", (long)OnnxGraphWriter.Int32)), _w.Ints32(_w.Fresh("c"), [128])]);
            Define(n.Outputs[0], _w.Node("Gather", [_w.Floats(n.Name + ".table", table, 256), idx]));
        }

        private void PrependToken(EdgnNode n)
        {
            var x = Get(n.Inputs[0]);
            long d = x.Shape[^1];
            var token = _w.Node("Reshape", [ConstFloat(n.Inputs[1]), _w.Longs(1, 1, d)]);
            var batch = _w.Node("Slice", [_w.Node("Shape", [x.Float]), _w.Longs(0), _w.Longs(1), _w.Longs(0)]);
            var target = _w.Node("Concat", [batch, _w.Longs(1, d)], ("axis", 0L));
            Define(n.Outputs[0], _w.Node("Concat", [_w.Node("Expand", [token, target]), x.Float], ("axis", 1L)));
        }
    }
}
