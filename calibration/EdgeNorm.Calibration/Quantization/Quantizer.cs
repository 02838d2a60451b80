using EdgeNorm.Calibration.Calibrators;
using EdgeNorm.Calibration.Float;
using EdgeNorm.Calibration.Float.Fused;
using EdgeNorm.Model.Format;
using EdgeNorm.Model.Ir;
using EdgeNorm.Runtime;
using EdgeNorm.Runtime.Numerics;
using EdgeNorm.Runtime.Numerics.Offline;

namespace EdgeNorm.Calibration.Quantization;

/// <summary>
/// Fused float graph + calibration data → integer <c>.edgn</c> model (ops: <see cref="IntegerOpNames"/>).
/// Scales: symmetric per-tensor int8 into every matmul, int16 residual stream, per-output-channel symmetric int8
/// weights, int32 bias at s_x·s_w. RepBN/PRepBN is folded into a per-channel requant of the residual stream
/// (QChannelAffine), GELU becomes an exact 256-entry table, softmax uses i-exp and 4-bit log2-family codes.
/// </summary>
public static class Quantizer
{
    private const int LogitFractionBits = 10;

    /// <summary>Calibrates and quantises; returns the builder (call WriteFile) with golden vectors and metadata set.</summary>
    public static EdgnBuilder Quantize(Graph graph, IReadOnlyDictionary<string, Tensor> calibration, QuantizerOptions options)
    {
        string softmax = options.SoftmaxVariant;
        var executor = new FloatExecutor(graph);
        var data = Subset(calibration, options.Samples, options.Seed, out int samples);
        var ranges = RangeCalibration.Run(executor, data, options.Method, options.Percentile, options.BatchSize, options.Progress);
        if (options.Overrides is { } overrides) ranges = new CalibratedRanges(ranges.Method, new OverriddenRanges(ranges.Source, overrides));
        double? percentileUsed = options.Method == "percentile" ? options.Percentile : null;
        if (options.Gelu is not ("lut" or "igelu" or "shiftgelu"))
            throw new QuantizationException($"--gelu {options.Gelu} is not available (lut, igelu, shiftgelu)");
        if (options.PrepBnFold is not ("auto" or "requant" or "linear"))
            throw new QuantizationException($"--prepbn-fold {options.PrepBnFold} is not available (auto, requant, linear)");
        var q = new GraphQuantizer(graph, ranges, softmax, options.Renormalize, options.Gelu, options.PrepBnFold == "linear", options.Overrides);
        var builder = q.Build();
        string foldUsed = q.RepBnNodes == 0 ? "none" : q.FoldedIntoLinear > 0 ? "linear" : "requant";
        ((double Sqnr, double Kl) Requant, (double Sqnr, double Kl) Linear)? foldSqnr = null;
        if (options.PrepBnFold == "auto" && q.RepBnNodes > 0)
        {
            var alt = new GraphQuantizer(graph, ranges, softmax, options.Renormalize, options.Gelu, foldIntoLinear: true, options.Overrides);
            var altBuilder = alt.Build();
            if (alt.FoldedIntoLinear > 0)
            {
                // No labels: the variant whose integer logits are closer to the float model's on the calibration data wins.
                var reference = FloatOutputs(executor, graph, data, samples, options.BatchSize);
                var requant = LogitCloseness(builder, data, samples, reference);
                var linear = LogitCloseness(altBuilder, data, samples, reference);
                foldSqnr = (requant, linear);
                if (linear.Kl < requant.Kl)
                {
                    builder = altBuilder;
                    foldUsed = "linear";
                }
            }
        }
        builder.SetMetadata("edgenorm.version", typeof(Quantizer).Assembly.GetName().Version?.ToString(3) ?? "0.0.0");
        builder.SetMetadata("calibration.method", options.Method);
        ranges.WriteMetadata(builder);
        if (percentileUsed is double pq)
            builder.SetMetadata("calibration.percentile", pq.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
        builder.SetMetadata("calibration.seed", options.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.SetMetadata("calibration.samples", samples.ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.SetMetadata("quant.softmax", softmax);
        builder.SetMetadata("quant.softmax.renormalize", options.Renormalize && softmax != "linear" ? "1" : "0");
        builder.SetMetadata("quant.gelu", options.Gelu);
        builder.SetMetadata("quant.prepbn_fold", foldUsed);
        if (foldSqnr is var (sr, sl))
        {
            var ci = System.Globalization.CultureInfo.InvariantCulture;
            builder.SetMetadata("quant.prepbn_fold.auto", FormattableString.Invariant(
                $"picked by mean KL(softmax(float) ‖ softmax(integer)) of the logits on the calibration data: requant {sr.Kl:E3} (SQNR {sr.Sqnr:F2} dB), linear {sl.Kl:E3} (SQNR {sl.Sqnr:F2} dB)"));
        }
        foreach (var (k, v) in options.Metadata) builder.SetMetadata(k, v);
        AddGolden(builder, data, Math.Min(options.GoldenSamples, samples));
        return builder;
    }

    /// <summary>
    /// The tensors the quantiser gives an asymmetric int8 grid (docs/numerics.md §12.3): outputs of a lookup table
    /// (GELU as <c>lut</c>, Tanh) read only by Linears as their input, and not graph outputs — one-sided values whose
    /// zero point folds into the readers' int32 bias. MetaAug simulates the same grid on the same tensors.
    /// </summary>
    public static IReadOnlySet<string> AsymmetricTensors(Graph graph, string gelu)
    {
        var readers = new Dictionary<string, List<Node>>(StringComparer.Ordinal);
        foreach (var n in graph.Nodes)
            foreach (var i in n.Inputs)
                if (i.Length > 0) (readers.TryGetValue(i, out var l) ? l : readers[i] = []).Add(n);
        var outputs = graph.Outputs.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (var n in graph.Nodes)
        {
            bool table = n.IsFused ? n.OpType == "Gelu" && gelu == "lut" : n.OpType == "Tanh";
            string y = n.Outputs[0];
            if (table && !outputs.Contains(y) && readers.TryGetValue(y, out var users)
                && users.All(u => u.IsFused && u.OpType == "Linear" && u.Inputs[0] == y))
                set.Add(y);
        }
        return set;
    }

    /// <summary>The float model's first output on the calibration samples, row-major.</summary>
    private static float[] FloatOutputs(FloatExecutor executor, Graph graph, Dictionary<string, Tensor> data, int samples, int batchSize)
    {
        string name = graph.Outputs[0].Name;
        var all = new List<float>();
        for (int start = 0; start < samples; start += batchSize)
        {
            int count = Math.Min(batchSize, samples - start);
            var batch = data.ToDictionary(kv => kv.Key, kv => Rows(kv.Value, start, count));
            all.AddRange(executor.Run(batch)[name].F);
        }
        return all.ToArray();
    }

    /// <summary>
    /// How close an integer model's first output (logits) is to the float reference on the calibration samples, no
    /// labels: SQNR <c>10·log10(Σ f² / Σ (f − q)²)</c> (dB, 200 when identical) and the mean over samples of
    /// <c>KL(softmax(f) ‖ softmax(q))</c> (nats; what the prediction sees).
    /// </summary>
    internal static (double Sqnr, double Kl) LogitCloseness(EdgnBuilder builder, Dictionary<string, Tensor> data, int samples, float[] reference)
    {
        double kl = 0;
        var model = EdgeNormModel.Load(builder.ToArray());
        int batch = Math.Min(64, samples);
        var session = model.CreateSession(new SessionOptions { MaxBatch = batch });
        var output = model.Outputs[0];
        var y = new float[batch * output.SampleElements];
        double signal = 0, noise = 0;
        for (int start = 0; start < samples; start += batch)
        {
            int count = Math.Min(batch, samples - start);
            foreach (var input in model.Inputs)
            {
                var t = Rows(data[input.Name], start, count);
                if (t.IsFloat) session.SetInput(input.Name, t.F);
                else session.SetInput(input.Name, t.L);
            }
            session.Run(count);
            session.GetOutput(output.Name, y.AsSpan(0, count * output.SampleElements));
            int c = output.SampleElements;
            for (int i = 0; i < count * c; i++)
            {
                double f = reference[start * c + i];
                signal += f * f;
                noise += (f - y[i]) * (f - y[i]);
            }
            for (int r = 0; r < count; r++) kl += Kl(reference.AsSpan((start + r) * c, c), y.AsSpan(r * c, c));
        }
        return (noise == 0 ? 200 : 10 * Math.Log10(signal / noise), kl / samples);
    }

    /// <summary>KL(softmax(p) ‖ softmax(q)) of two logit rows, in float64.</summary>
    private static double Kl(ReadOnlySpan<float> p, ReadOnlySpan<float> q)
    {
        double mp = double.MinValue, mq = double.MinValue;
        foreach (float v in p) mp = Math.Max(mp, v);
        foreach (float v in q) mq = Math.Max(mq, v);
        double zp = 0, zq = 0;
        for (int i = 0; i < p.Length; i++)
        {
            zp += Math.Exp(p[i] - mp);
            zq += Math.Exp(q[i] - mq);
        }
        double kl = 0;
        for (int i = 0; i < p.Length; i++)
        {
            double lp = p[i] - mp - Math.Log(zp), lq = q[i] - mq - Math.Log(zq);
            kl += Math.Exp(lp) * (lp - lq);
        }
        return kl;
    }

    /// <summary>Runs the integer model on the first calibration samples and stores inputs and outputs as golden set "calib".</summary>
    private static void AddGolden(EdgnBuilder builder, Dictionary<string, Tensor> data, int n)
    {
        if (n <= 0) return;
        var model = EdgeNormModel.Load(builder.ToArray());
        var session = model.CreateSession(new SessionOptions { MaxBatch = n });
        var ins = new List<KeyValuePair<string, string>>();
        var outs = new List<KeyValuePair<string, string>>();
        foreach (var input in model.Inputs)
        {
            var t = Rows(data[input.Name], 0, n);
            string name = "golden.calib." + input.Name;
            long[] shape = [n, .. input.SampleShape.Select(d => (long)d)];
            if (t.IsFloat)
            {
                session.SetInput(input.Name, t.F);
                builder.AddTensor<float>(name, shape, t.F);
            }
            else
            {
                session.SetInput(input.Name, t.L);
                builder.AddTensor<long>(name, shape, t.L);
            }
            ins.Add(new(input.Name, name));
        }
        session.Run(n);
        foreach (var output in model.Outputs)
        {
            var y = new float[n * output.SampleElements];
            session.GetOutput(output.Name, y);
            string name = "golden.calib." + output.Name;
            builder.AddTensor<float>(name, [n, .. output.SampleShape.Select(d => (long)d)], y);
            outs.Add(new(output.Name, name));
        }
        builder.AddGoldenSet("calib", ins, outs);
    }

    /// <summary>The calibration samples used: all, or a seeded random subset of <paramref name="wanted"/> (MetaAug picks the same ones).</summary>
    internal static Dictionary<string, Tensor> Subset(IReadOnlyDictionary<string, Tensor> data, int? wanted, int seed, out int samples)
    {
        if (data.Count == 0) throw new QuantizationException("no calibration data");
        int n = data.Values.First().Shape[0];
        if (data.Values.Any(t => t.Rank == 0 || t.Shape[0] != n))
            throw new QuantizationException("calibration inputs disagree on the number of samples");
        if (n == 0) throw new QuantizationException("the calibration data has no samples");
        if (wanted is not int w || w >= n)
        {
            samples = n;
            return data.ToDictionary(kv => kv.Key, kv => kv.Value);
        }
        if (w < 1) throw new QuantizationException("--samples must be at least 1");
        var idx = Enumerable.Range(0, n).ToArray();
        new Random(seed).Shuffle(idx);
        var pick = idx.Take(w).Order().ToArray();
        samples = w;
        return data.ToDictionary(kv => kv.Key, kv => Gather(kv.Value, pick));
    }

    private static Tensor Gather(Tensor t, int[] rows)
    {
        int row = (int)(t.Length / t.Shape[0]);
        int[] shape = [rows.Length, .. t.Shape[1..]];
        if (t.IsFloat)
        {
            var f = new float[rows.Length * row];
            for (int i = 0; i < rows.Length; i++) t.F.AsSpan(rows[i] * row, row).CopyTo(f.AsSpan(i * row));
            return Tensor.FromFloats(shape, f);
        }
        var l = new long[rows.Length * row];
        for (int i = 0; i < rows.Length; i++) t.L.AsSpan(rows[i] * row, row).CopyTo(l.AsSpan(i * row));
        return Tensor.FromLongs(t.DataType, shape, l);
    }

    internal static Tensor Rows(Tensor t, int start, int count)
    {
        int row = (int)(t.Length / Math.Max(1, t.Shape[0]));
        int[] shape = [count, .. t.Shape[1..]];
        return t.IsFloat
            ? Tensor.FromFloats(shape, t.F.AsSpan(start * row, count * row).ToArray())
            : Tensor.FromLongs(t.DataType, shape, t.L.AsSpan(start * row, count * row).ToArray());
    }

    /// <summary>The per-graph work: scale assignment and node emission.</summary>
    private sealed class GraphQuantizer(Graph graph, IRangeSource ranges, string softmax, bool renormalize, string gelu, bool foldIntoLinear,
        IQuantizationOverrides? overrides)
    {
        /// <summary>RepBN/PRepBN nodes seen.</summary>
        public int RepBnNodes { get; private set; }

        /// <summary>RepBN/PRepBN nodes folded into their following Linears (the rest are per-channel requants).</summary>
        public int FoldedIntoLinear { get; private set; }

        // A RepBN folded into the Linears that read it: its output name → (a, b); the output is the int16 input itself.
        private readonly Dictionary<string, (double[] A, double[] B)> _folded = new(StringComparer.Ordinal);
        // A value quantised with another tensor's calibrated range (a folded RepBN's token select reads x's).
        private readonly Dictionary<string, string> _rangeOf = new(StringComparer.Ordinal);

        private sealed record QValue(string Name, DataType DType, float Scale, long[] Shape, long ZeroPoint = 0);

        private readonly EdgnBuilder _b = new();
        private readonly Dictionary<string, QValue> _q = new(StringComparer.Ordinal);
        private readonly Dictionary<string, Tensor> _expanded = new(StringComparer.Ordinal);
        private readonly Dictionary<string, List<Node>> _consumers = new(StringComparer.Ordinal);
        private readonly HashSet<string> _graphOutputs = graph.Outputs.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        private readonly IReadOnlySet<string> _asymmetric = AsymmetricTensors(graph, gelu);

        public EdgnBuilder Build()
        {
            var order = GraphOrder.Sort(graph);
            foreach (var n in order)
                foreach (var i in n.Inputs)
                    if (i.Length > 0) (_consumers.TryGetValue(i, out var l) ? l : _consumers[i] = []).Add(n);

            FindMaskChains(order);
            foreach (var input in graph.Inputs)
            {
                if (input.DataType == DataType.Int64)
                {
                    var ids = Define(input.Name, DataType.Int64, 1f, Shape(input.Name));
                    _b.AddInput(ids.Name, ids.DType, ids.Shape);
                    continue;
                }
                if (input.DataType != DataType.Float32)
                    throw new QuantizationException($"input '{input.Name}': {input.DataType.Name()} graph inputs are not supported by the quantiser yet");
                var users = _consumers.TryGetValue(input.Name, out var l) ? l : [];
                var dtype = users.All(u => u.IsFused && u.OpType is "Linear" or "PatchEmbed" or "Attention" or "Gelu") ? DataType.Int8 : DataType.Int16;
                var v = Define(input.Name, dtype, ScaleOf(input.Name, dtype), Shape(input.Name));
                _b.AddInput(v.Name, v.DType, v.Shape, QuantParams.PerTensor(v.Scale));
            }
            foreach (var node in order) Emit(node);
            foreach (var o in graph.Outputs)
            {
                var v = _q.TryGetValue(o.Name, out var qv) ? qv : throw new QuantizationException($"graph output '{o.Name}' was not quantised");
                _b.AddOutput(v.Name, v.DType, v.Shape, QuantParams.PerTensor(v.Scale));
            }
            return _b;
        }

        private void Emit(Node n)
        {
            string op = n.IsFused ? n.OpType : "onnx." + n.OpType;
            string y = n.Outputs[0];
            if (_maskChain.Contains(n)) return; // (1 − mask)·(−10000): the integer attention reads the 0/1 mask itself
            if (!n.IsFused && n.Outputs.All(o => graph.ValueInfos.TryGetValue(o, out var vi) && vi.DataType != DataType.Float32))
                return; // shape arithmetic (Shape/Gather/Unsqueeze/Concat/Reshape/Where on int64): only feeds Expand's shape
            switch (op)
            {
                case "Linear": Linear(n, IntegerOpNames.Linear, null); break;
                case "PatchEmbed": Linear(n, IntegerOpNames.PatchEmbed, n.GetInts("kernel_shape")); break;
                case "Attention": Attention(n); break;
                case "Gelu": Gelu(n); break;
                case "LayerNorm": Norm(n, "layernorm"); break;
                case "L1Norm": Norm(n, "l1norm"); break;
                case "RepBN": RepBn(n); break;
                case "onnx.Add": Add(n); break;
                case "onnx.Expand" when Const(n.Inputs[0]) is { } c: _expanded[y] = c; break;
                case "onnx.Concat": Concat(n); break;
                case "onnx.Gather" when _q.ContainsKey(n.Inputs[0]): Select(n); break;
                case "Embedding": Embedding(n); break;
                case "onnx.Tanh": Table(n, Math.Tanh); break;
                default:
                    throw new QuantizationException($"node '{n.Name}' ({n}): the quantiser does not support this op yet");
            }
        }

        // ---- ops ----

        private void Linear(Node n, string opName, long[]? kernel)
        {
            var x = In(n, 0, DataType.Int8);
            var w = Const(n.Inputs[1]) ?? throw new QuantizationException($"node '{n.Name}': the weight must be constant");
            int outN = w.Shape[0];
            int k = (int)(w.Length / outN);
            var bias = n.Inputs.Count > 2 && n.Inputs[2].Length > 0 ? Const(n.Inputs[2])?.F : null;
            var wf = w.F;
            if (_folded.TryGetValue(n.Inputs[0], out var affine))
            {
                var (fw, fb) = PrepBnFold.IntoFollowing(wf, outN, k, bias, affine.A, affine.B);
                wf = fw.Select(v => (float)v).ToArray();
                bias = fb.Select(v => (float)v).ToArray();
            }
            string yName = n.Outputs[0];
            DataType outType = ProducerType(yName);
            var y = Define(yName, outType, ScaleOf(TiedRange(yName), outType), Shape(yName));

            var wq = new sbyte[outN * k];
            var sw = new float[outN];
            for (int r = 0; r < outN; r++)
            {
                float maxAbs = 0;
                for (int i = 0; i < k; i++) maxAbs = Math.Max(maxAbs, Math.Abs(wf[r * k + i]));
                sw[r] = maxAbs > 0 ? maxAbs / 127f : 1f;
                for (int i = 0; i < k; i++) wq[r * k + i] = (sbyte)Math.Clamp(Math.Round(wf[r * k + i] / (double)sw[r]), -127, 127);
            }
            if (overrides?.Weights(n, wf, sw) is { } chosen)
                wq = chosen.Length == wq.Length ? chosen : throw new QuantizationException($"node '{n.Name}': {chosen.Length} overriding weights for {wq.Length}");
            var bq = new int[outN];
            var mult = new int[outN];
            var shift = new int[outN];
            for (int r = 0; r < outN; r++)
            {
                double accScale = (double)x.Scale * sw[r];
                long b = bias is null ? 0 : (long)Math.Clamp(Math.Round(bias[r] / accScale), int.MinValue / 2, int.MaxValue / 2);
                if (x.ZeroPoint != 0)
                {
                    // Σ w·(q − z) = Σ w·q − z·Σ w: the input's zero point folds into the int32 bias.
                    long sum = 0;
                    for (int i = 0; i < k; i++) sum += wq[r * k + i];
                    b -= x.ZeroPoint * sum;
                }
                bq[r] = (int)Math.Clamp(b, int.MinValue / 2, int.MaxValue / 2);
                var m = Dyadic(accScale / y.Scale, n);
                (mult[r], shift[r]) = (m.Multiplier, m.Shift);
            }
            string p = NodePrefix(n);
            _b.AddPackedWeights(p + ".w", wq, outN, k, QuantParams.PerChannel(0, sw));
            _b.AddTensor<int>(p + ".bias", [outN], bq);
            _b.AddTensor<int>(p + ".mult", [outN], mult);
            _b.AddTensor<int>(p + ".shift", [outN], shift);
            var attrs = new List<KeyValuePair<string, EdgnAttribute>>();
            if (kernel is not null) attrs.Add(new("kernel_shape", EdgnAttribute.Of(kernel)));
            _b.AddNode(n.Name, opName, [x.Name, p + ".w", p + ".bias", p + ".mult", p + ".shift"], [y.Name], attrs);
        }

        private void Attention(Node n)
        {
            bool packed = n.GetInt("packed_qkv", 0) == 1;
            var x = In(n, 0, DataType.Int8);
            var k = packed ? x : In(n, 1, DataType.Int8);
            var v = packed ? x : In(n, 2, DataType.Int8);
            string[] inputs = packed ? [x.Name, "", ""] : [x.Name, k.Name, v.Name];
            if (n.Inputs.Count > 3 && n.Inputs[3].Length > 0)
                inputs = [.. inputs, _maskRoot.TryGetValue(n, out var root) ? root
                    : throw new QuantizationException($"node '{n.Name}': the mask is not (1 − m)·c of an int64 0/1 graph input")];
            var y = Define(n.Outputs[0], DataType.Int8, ScaleOf(n.Outputs[0], DataType.Int8), Shape(n.Outputs[0]));
            double scale = n.GetFloat("scale", 1f);
            double logitScale = Math.ScaleB(1.0, -LogitFractionBits);
            var logit = Dyadic((double)x.Scale * k.Scale * scale / logitScale, n);
            bool linear = softmax == "linear";
            var exp = IntExpBuilder.IBert(logitScale, linear ? LinearSoftmax.ExpFractionBits : 30);
            int sumBits = linear ? LinearSoftmax.ProbabilityBits : Log2Codes.SumFractionBits;
            var outM = Dyadic(v.Scale * Math.ScaleB(1.0, -sumBits) / y.Scale, n);
            var attrs = new List<KeyValuePair<string, EdgnAttribute>>
            {
                new("num_heads", n.GetInt("num_heads", 1)),
                new("softmax", softmax),
                new("renormalize", renormalize && !linear ? 1L : 0L),
                new("logit_multiplier", new long[] { logit.Multiplier, logit.Shift }),
                new("exp", new long[] { exp.X0, exp.Bq, exp.Cq, exp.Output.Multiplier, exp.Output.Shift }),
                new("out_multiplier", new long[] { outM.Multiplier, outM.Shift }),
            };
            if (softmax == "logsqrt2")
            {
                var odd = Dyadic(DyadicMultiplierBuilder.ToReal(outM) * Math.Sqrt(2), n);
                attrs.Add(new("out_multiplier_odd", new long[] { odd.Multiplier, odd.Shift }));
            }
            _b.AddNode(n.Name, IntegerOpNames.Attention, inputs, [y.Name], attrs);
        }

        private void Gelu(Node n)
        {
            if (gelu == "lut")
            {
                Table(n, n.GetString("approximate") == "tanh" ? RealFunctions.GeluTanh : RealFunctions.Gelu);
                return;
            }
            var x = In(n, 0, DataType.Int8);
            var y = Define(n.Outputs[0], DataType.Int8, ScaleOf(n.Outputs[0], DataType.Int8), Shape(n.Outputs[0]));
            long[] parameters;
            double outScale;
            if (gelu == "igelu")
            {
                var b = IntGeluBuilder.Build(x.Scale, 128);
                var p = b.Parameters;
                (parameters, outScale) = ([p.Bq, p.Cq, p.PostShift, p.One], b.OutputScale);
            }
            else
            {
                var b = IntGeluBuilder.BuildShift(x.Scale);
                var p = b.Parameters;
                (parameters, outScale) = ([p.Exp.X0, p.Exp.N, p.SigmoidBits], b.OutputScale);
            }
            var m = Dyadic(outScale / y.Scale, n);
            _b.AddNode(n.Name, IntegerOpNames.Gelu, [x.Name], [y.Name],
                [new("kind", gelu), new("params", parameters), new("multiplier", new long[] { m.Multiplier, m.Shift })]);
        }

        private void Table(Node n, Func<double, double> f)
        {
            var x = In(n, 0, DataType.Int8);
            var y = AsymmetricInt8(n.Outputs[0]) ?? Define(n.Outputs[0], DataType.Int8, ScaleOf(n.Outputs[0], DataType.Int8), Shape(n.Outputs[0]));
            var table = LookupTableBuilder.BuildInt8(f, x.Scale, 0, y.Scale, (int)y.ZeroPoint);
            string p = NodePrefix(n);
            _b.AddTensor<sbyte>(p + ".table", [256], table);
            _b.AddNode(n.Name, IntegerOpNames.Lookup, [x.Name, p + ".table"], [y.Name]);
        }

        private void Norm(Node n, string kind)
        {
            var x = In(n, 0, DataType.Int16);
            int c = (int)x.Shape[^1];
            var outType = NormOutputType(n.Outputs[0]);
            var y = Define(n.Outputs[0], outType, ScaleOf(n.Outputs[0], outType), Shape(n.Outputs[0]));
            var gamma = PerChannel(n, 1, c, 1f);
            var beta = PerChannel(n, 2, c, 0f);
            // ŷ is 2^30·(q − μ)/S; the normalised value is ŷ·√C/2^30 (LayerNorm, S = σ_q) or ŷ·C/(k·2^30) (L1Norm, S = D).
            double unit = kind == "layernorm" ? Math.Sqrt(c) : c / (double)n.GetFloat("mad_scale", 1f);
            unit = Math.ScaleB(unit, -30);
            int overflowShift = IntNorm.MinimumOverflowShift(16, c);
            long epsQ = NormEpsilon.InSpreadUnits(kind, n.GetFloat("epsilon", kind == "layernorm" ? 1e-5f : 0f), c, x.Scale,
                n.GetFloat("mad_scale", 1f), overflowShift);
            ChannelRequant(n, x, y, c, i => gamma[i] * unit, i => beta[i], kind == "layernorm"
                ? [new("kind", kind), new("overflow_shift", (long)overflowShift), new("epsilon_q", epsQ)]
                : [new("kind", kind), new("epsilon_q", epsQ)], IntegerOpNames.Norm);
        }

        private void RepBn(Node n)
        {
            RepBnNodes++;
            var x = In(n, 0, DataType.Int16);
            int c = (int)x.Shape[^1];
            if (foldIntoLinear && ReadOnlyByLinears(n.Outputs[0]))
            {
                // integer-ops.md §6.2 "into the following Linear": no node here; the readers take x (int16 → int8 at
                // x's own range) and fold a, b into their weights and bias.
                _folded[n.Outputs[0]] = RepBnOp.Fold(n, n.Inputs.Select(i => i.Length == 0 ? null : Const(i)).ToArray(), c);
                _q[n.Outputs[0]] = x;
                FoldedIntoLinear++;
                return;
            }
            var y = Define(n.Outputs[0], DataType.Int8, ScaleOf(n.Outputs[0], DataType.Int8), Shape(n.Outputs[0]));
            var inputs = n.Inputs.Select(i => i.Length == 0 ? null : Const(i)).ToArray();
            var (a, b) = RepBnOp.Fold(n, inputs, c);
            ChannelRequant(n, x, y, c, i => a[i] * x.Scale, i => b[i], [], IntegerOpNames.ChannelAffine);
        }

        /// <summary>y_c = round(sign_c·Scale(q; |f_c|/s_y)) + round(β_c/s_y), for the per-channel-requant ops (QNorm, QChannelAffine).</summary>
        private void ChannelRequant(Node n, QValue x, QValue y, int c, Func<int, double> factor, Func<int, double> offset,
            KeyValuePair<string, EdgnAttribute>[] attrs, string opName)
        {
            var mult = new int[c];
            var shift = new int[c];
            var sign = new int[c];
            var off = new int[c];
            for (int i = 0; i < c; i++)
            {
                double f = factor(i) / y.Scale;
                sign[i] = Math.Sign(f);
                var m = f == 0 ? DyadicMultiplier.One : Dyadic(Math.Abs(f), n);
                (mult[i], shift[i]) = (m.Multiplier, m.Shift);
                off[i] = (int)Math.Clamp(Math.Round(offset(i) / y.Scale), -1 << 20, 1 << 20);
            }
            string p = NodePrefix(n);
            _b.AddTensor<int>(p + ".mult", [c], mult);
            _b.AddTensor<int>(p + ".shift", [c], shift);
            _b.AddTensor<int>(p + ".sign", [c], sign);
            _b.AddTensor<int>(p + ".offset", [c], off);
            _b.AddNode(n.Name, opName, [x.Name, p + ".mult", p + ".shift", p + ".sign", p + ".offset"], [y.Name], attrs);
        }

        private void Add(Node n)
        {
            var ca = Const(n.Inputs[0]);
            var cb = Const(n.Inputs[1]);
            if (ca is not null && cb is not null) throw new QuantizationException($"node '{n.Name}': constant + constant was not folded");
            string yName = n.Outputs[0];
            var y = Define(yName, DataType.Int16, ScaleOf(yName, DataType.Int16), Shape(yName));
            if (ca is null && cb is null)
            {
                var a = In(n, 0, DataType.Int16);
                var b = In(n, 1, DataType.Int16);
                var ma = Dyadic(a.Scale / (double)y.Scale, n);
                var mb = Dyadic(b.Scale / (double)y.Scale, n);
                _b.AddNode(n.Name, IntegerOpNames.Add, [a.Name, b.Name], [y.Name],
                    [new("multiplier_a", new long[] { ma.Multiplier, ma.Shift }), new("multiplier_b", new long[] { mb.Multiplier, mb.Shift })]);
                return;
            }
            var x = In(n, ca is null ? 0 : 1, DataType.Int16);
            var k = ca ?? cb!;
            long sample = x.Shape.Skip(1).Aggregate(1L, (p, d) => p * d);
            if (k.Length != sample || k.Shape.Length != x.Shape.Length || k.Shape[0] != 1)
                throw new QuantizationException($"node '{n.Name}': only a constant of one sample's shape [1, …] is added to a batch yet");
            float maxAbs = k.F.Max(Math.Abs);
            float sk = maxAbs > 0 ? maxAbs / 32767f : 1f;
            var kq = k.F.Select(v => (short)Math.Clamp(Math.Round(v / (double)sk), -32767, 32767)).ToArray();
            string p = NodePrefix(n);
            _b.AddTensor<short>(p + ".const", x.Shape.Skip(1).Prepend(1L).ToArray(), kq, QuantParams.PerTensor(sk));
            var mx = Dyadic(x.Scale / (double)y.Scale, n);
            var mk = Dyadic(sk / (double)y.Scale, n);
            _b.AddNode(n.Name, IntegerOpNames.AddConstant, [x.Name, p + ".const"], [y.Name],
                [new("multiplier_a", new long[] { mx.Multiplier, mx.Shift }), new("multiplier_b", new long[] { mk.Multiplier, mk.Shift })]);
        }

        private void Concat(Node n)
        {
            if (n.GetInt("axis", 0) != 1 || n.Inputs.Count != 2 || !_expanded.TryGetValue(n.Inputs[0], out var token))
                throw new QuantizationException($"node '{n.Name}': only Concat(axis=1, [Expand(constant token), x]) (the cls token) is supported yet");
            var x = _q.TryGetValue(n.Inputs[1], out var qx) ? qx : throw new QuantizationException($"node '{n.Name}': input '{n.Inputs[1]}' is not quantised");
            // x's producer took the scale of this Concat's output (TiedRange), so the token joins it at the same scale.
            var y = Define(n.Outputs[0], x.DType, x.Scale, Shape(n.Outputs[0]));
            long d = x.Shape[^1];
            if (token.Length != d) throw new QuantizationException($"node '{n.Name}': the prepended token must be one row of {d}");
            double max = x.DType == DataType.Int16 ? 32767 : 127;
            string p = NodePrefix(n);
            if (x.DType == DataType.Int16)
                _b.AddTensor<short>(p + ".token", [d], token.F.Select(v => (short)Math.Clamp(Math.Round(v / (double)x.Scale), -max, max)).ToArray(), QuantParams.PerTensor(x.Scale));
            else
                _b.AddTensor<sbyte>(p + ".token", [d], token.F.Select(v => (sbyte)Math.Clamp(Math.Round(v / (double)x.Scale), -max, max)).ToArray(), QuantParams.PerTensor(x.Scale));
            _b.AddNode(n.Name, IntegerOpNames.PrependToken, [x.Name, p + ".token"], [y.Name]);
        }

        private void Select(Node n)
        {
            var x = _q[n.Inputs[0]];
            var idx = Const(n.Inputs[1]);
            if (n.GetInt("axis", 0) != 1 || x.Shape.Length != 3 || idx is null || idx.Rank != 0)
                throw new QuantizationException($"node '{n.Name}': only Gather(x [B,S,D], scalar constant, axis=1) is supported yet");
            long i = idx.L[0] < 0 ? idx.L[0] + x.Shape[1] : idx.L[0];
            var y = Define(n.Outputs[0], x.DType, x.Scale, Shape(n.Outputs[0]));
            if (_folded.TryGetValue(n.Inputs[0], out var affine))
            {
                _folded[n.Outputs[0]] = affine;
                _rangeOf[n.Outputs[0]] = x.Name;
            }
            _b.AddNode(n.Name, IntegerOpNames.SelectToken, [x.Name], [y.Name], [new("index", i)]);
        }

        // ---- helpers ----

        /// <summary>
        /// A table's int8 output read only by Linears (<see cref="AsymmetricTensors"/>) gets an asymmetric grid over
        /// [min(0, lo), max(0, hi)]: GELU's output is nearly one-sided, and a symmetric grid would waste half its codes.
        /// Free at run time (the zero point is in the table and in the readers' int32 bias). Null for other tensors.
        /// </summary>
        private QValue? AsymmetricInt8(string name)
        {
            if (!_asymmetric.Contains(name)) return null;
            var r = ranges.Get(name, DataType.Int8);
            double lo = Math.Min(0, r.Min), hi = Math.Max(0, r.Max);
            if (!(hi - lo > 0) || double.IsInfinity(hi - lo)) return null;
            float scale = (float)((hi - lo) / 255);
            long zp = Math.Clamp(-128 - (long)Math.Round(lo / scale), -128, 127);
            var v = new QValue(name, DataType.Int8, scale, Shape(name), zp);
            _q[name] = v;
            _b.AddValue(name, DataType.Int8, v.Shape, QuantParams.PerTensor(scale, zp));
            return v;
        }

        private QValue Define(string name, DataType dtype, float scale, long[] shape)
        {
            var v = new QValue(name, dtype, scale, shape);
            _q[name] = v;
            if (!_graphOutputs.Contains(name) && !graph.Inputs.Any(i => i.Name == name))
                _b.AddValue(name, dtype, shape, QuantParams.PerTensor(scale));
            return v;
        }

        private QValue In(Node n, int i, DataType want)
        {
            if (!_q.TryGetValue(n.Inputs[i], out var v))
                throw new QuantizationException($"node '{n.Name}' ({n.OpType}): input '{n.Inputs[i]}' is not an integer value (unsupported producer)");
            if (v.DType == DataType.Int16 && want == DataType.Int8) return AsInt8(v);
            if (v.DType != want)
                throw new QuantizationException($"node '{n.Name}' ({n.OpType}): input '{v.Name}' is {v.DType.Name()}, the integer op takes {want.Name()}");
            return v;
        }

        private readonly Dictionary<string, QValue> _int8Views = new(StringComparer.Ordinal);
        private readonly HashSet<Node> _maskChain = [];
        private readonly Dictionary<Node, string> _maskRoot = [];

        /// <summary>An int8 copy of an int16 value (QRequant at its own minmax scale), for a matmul that reads the residual stream.</summary>
        private QValue AsInt8(QValue v)
        {
            if (_int8Views.TryGetValue(v.Name, out var q)) return q;
            string name = v.Name + ".int8";
            var y = new QValue(name, DataType.Int8, ScaleOf(v.Name, DataType.Int8), v.Shape);
            _b.AddValue(name, DataType.Int8, v.Shape, QuantParams.PerTensor(y.Scale));
            var m = DyadicMultiplierBuilder.FromReal(v.Scale / (double)y.Scale);
            _b.AddNode(name + "/requant", IntegerOpNames.Requant, [v.Name], [name], [new("multiplier", new long[] { m.Multiplier, m.Shift })]);
            return _int8Views[v.Name] = y;
        }

        /// <summary>
        /// BERT's additive mask: Attention's mask input traced back through Unsqueeze/Cast/Sub(1, ·)/Mul(·, c ≤ −1000) to
        /// an int64 graph input; those nodes are not emitted, the integer attention reads the 0/1 input directly.
        /// </summary>
        private void FindMaskChains(List<Node> order)
        {
            var producer = new Dictionary<string, Node>(StringComparer.Ordinal);
            foreach (var n in order) foreach (var o in n.Outputs) producer[o] = n;
            foreach (var att in order.Where(n => n.IsFused && n.OpType == "Attention" && n.Inputs.Count > 3 && n.Inputs[3].Length > 0))
            {
                string name = att.Inputs[3];
                var chain = new List<Node>();
                bool sub = false, mul = false;
                while (producer.TryGetValue(name, out var p) && !p.IsFused)
                {
                    var dyn = p.Inputs.Where(i => i.Length > 0 && Const(i) is null).ToList();
                    if (dyn.Count != 1) break;
                    if (p.OpType == "Sub") sub = Const(p.Inputs[0]) is { Length: 1 } one && one.F[0] == 1f && p.Inputs[1] == dyn[0];
                    else if (p.OpType == "Mul") mul = p.Inputs.Select(Const).FirstOrDefault(t => t is not null) is { Length: 1 } c && c.F[0] <= -1000f;
                    else if (p.OpType is not ("Unsqueeze" or "Cast" or "Reshape")) break;
                    chain.Add(p);
                    name = dyn[0];
                }
                if (!sub || !mul || !graph.Inputs.Any(i => i.Name == name && i.DataType == DataType.Int64)) continue;
                _maskRoot[att] = name;
                foreach (var p in chain)
                    if (p.Outputs.All(o => _consumers.TryGetValue(o, out var users) && users.All(u => chain.Contains(u) || (u.IsFused && u.OpType == "Attention" && u.Inputs.Count > 3 && u.Inputs[3] == o))))
                        _maskChain.Add(p);
            }
        }

        private void Embedding(Node n)
        {
            var ids = In(n, 0, DataType.Int64);
            var table = Const(n.Inputs[1]) ?? throw new QuantizationException($"node '{n.Name}': the embedding table must be constant");
            string yName = n.Outputs[0];
            var y = Define(yName, DataType.Int16, ScaleOf(yName, DataType.Int16), Shape(yName));
            var q = table.F.Select(v => (short)Math.Clamp(Math.Round(v / (double)y.Scale), -32767, 32767)).ToArray();
            string p = NodePrefix(n);
            _b.AddTensor<short>(p + ".table", table.Shape.Select(d => (long)d).ToArray(), q, QuantParams.PerTensor(y.Scale));
            _b.AddNode(n.Name, IntegerOpNames.Embedding, [ids.Name, p + ".table"], [y.Name]);
        }

        /// <summary>True when every reader of a RepBN output is a fused Linear (as its data input), directly or through one token select.</summary>
        private bool ReadOnlyByLinears(string name)
        {
            if (_graphOutputs.Contains(name) || !_consumers.TryGetValue(name, out var users) || users.Count == 0) return false;
            foreach (var u in users)
            {
                if (u.IsFused && u.OpType == "Linear" && u.Inputs[0] == name) continue;
                if (!u.IsFused && u.OpType == "Gather" && u.Inputs[0] == name && !_graphOutputs.Contains(u.Outputs[0])
                    && _consumers.TryGetValue(u.Outputs[0], out var next) && next.Count > 0
                    && next.All(l => l.IsFused && l.OpType == "Linear" && l.Inputs[0] == u.Outputs[0]))
                    continue;
                return false;
            }
            return true;
        }

        /// <summary>A normaliser writes int8 when only matmuls (or a token select feeding one) read it; int16 when the residual stream does (post-LN).</summary>
        private DataType NormOutputType(string name)
        {
            var users = _consumers.TryGetValue(name, out var l) ? l : [];
            return !_graphOutputs.Contains(name) && users.Count > 0 && users.All(u => u.IsFused ? u.OpType is "Linear" or "Attention" : u.OpType == "Gather")
                ? DataType.Int8 : DataType.Int16;
        }

        /// <summary>int8 when every consumer is a matmul-like op, GELU or Tanh; int16 (residual stream) otherwise.</summary>
        private DataType ProducerType(string name)
        {
            if (_graphOutputs.Contains(name)) return DataType.Int16;
            var users = _consumers.TryGetValue(name, out var l) ? l : [];
            bool int8 = users.Count > 0 && users.All(u => u.IsFused ? u.OpType is "Linear" or "Attention" or "Gelu" : u.OpType == "Tanh");
            return int8 ? DataType.Int8 : DataType.Int16;
        }

        /// <summary>A tensor that only feeds the cls Concat takes the Concat's range (they share one scale).</summary>
        private string TiedRange(string name) =>
            _consumers.TryGetValue(name, out var l) && l.Count == 1 && !l[0].IsFused && l[0].OpType == "Concat" ? l[0].Outputs[0] : name;

        private float ScaleOf(string name, DataType dtype)
        {
            float maxAbs = ranges.Get(_rangeOf.TryGetValue(name, out var source) ? source : name, dtype).MaxAbs; // clipping calibrators choose per width
            if (!(maxAbs > 0) || float.IsInfinity(maxAbs)) maxAbs = 1f;
            return maxAbs / (dtype == DataType.Int8 ? 127f : 32767f);
        }

        private long[] Shape(string name)
        {
            var vi = graph.ValueInfos.TryGetValue(name, out var v) ? v : graph.Inputs.Concat(graph.Outputs).FirstOrDefault(i => i.Name == name);
            if (vi is null) throw new QuantizationException($"no shape known for '{name}'");
            return vi.Shape.Select((d, i) => i == 0 ? -1 : d.IsFixed ? d.Size
                : throw new QuantizationException($"'{name}': dimension {i} ({d}) must be fixed at calibration")).ToArray();
        }

        private Tensor? Const(string name) => name.Length > 0 && graph.Initializers.TryGetValue(name, out var t) ? t : null;

        private float[] PerChannel(Node n, int input, int c, float fallback)
        {
            var t = n.Inputs.Count > input ? Const(n.Inputs[input]) : null;
            if (t is null) return Enumerable.Repeat(fallback, c).ToArray();
            if (t.Length == 1) return Enumerable.Repeat(t.F[0], c).ToArray();
            if (t.Length != c) throw new QuantizationException($"node '{n.Name}': per-channel input #{input} has {t.Length} values for {c} channels");
            return t.F;
        }

        private static DyadicMultiplier Dyadic(double r, Node n)
        {
            try
            {
                return DyadicMultiplierBuilder.FromReal(r);
            }
            catch (ArgumentOutOfRangeException e)
            {
                throw new QuantizationException($"node '{n.Name}': requantisation ratio {r:G4} has no dyadic multiplier: {e.Message}");
            }
        }

        private static string NodePrefix(Node n) => n.Name;
    }
}
