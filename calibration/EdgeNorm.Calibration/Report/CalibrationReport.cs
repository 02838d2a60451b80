using System.Globalization;
using System.Text.Json;
using EdgeNorm.Calibration.Float;
using EdgeNorm.Calibration.Quantization;
using EdgeNorm.Model.Format;
using EdgeNorm.Model.Ir;
using EdgeNorm.Runtime;

namespace EdgeNorm.Calibration.Report;

/// <summary>
/// The `--report` of calibrate: per quantised tensor the error of quantising the float reference's value at the
/// file's scale (SQNR, RMSE, max error, clipped fraction), per graph output the float-vs-integer-model SQNR (the
/// whole integer pipeline), and top-1 of both when labels are given. Streaming over batches.
/// </summary>
public sealed class CalibrationReport
{
    /// <summary>Per-tensor errors, in graph order of first appearance.</summary>
    public required IReadOnlyList<TensorError> Tensors { get; init; }
    /// <summary>Float vs integer-model error of each graph output (logits).</summary>
    public required IReadOnlyList<(string Name, double SqnrDb, double Rmse)> Outputs { get; init; }
    /// <summary>Samples the report ran on.</summary>
    public required int Samples { get; init; }
    /// <summary>What the samples are ("calibration data" or the eval file).</summary>
    public required string Data { get; init; }
    /// <summary>Top-1 of the float reference and of the integer model (null without labels).</summary>
    public (int Float, int Integer)? Correct { get; init; }

    /// <summary>Runs the float reference and the integer model over <paramref name="data"/>.</summary>
    public static CalibrationReport Build(Graph graph, EdgnBuilder builder, IReadOnlyDictionary<string, Tensor> data, string dataName,
        long[]? labels = null, int batchSize = 64, Action<string, int, int>? progress = null)
    {
        var header = builder.BuildHeader();
        var errors = new Dictionary<string, List<TensorError>>(StringComparer.Ordinal);
        var order = new List<TensorError>();
        foreach (var v in header.Inputs.Concat(header.Values).Concat(header.Outputs))
        {
            if (v.Quant is not { Axis: null, Scales.Count: 1 } q || v.DType is not (DataType.Int8 or DataType.Int16)) continue;
            string source = v.Name.EndsWith(".int8", StringComparison.Ordinal) ? v.Name[..^5] : v.Name;
            var e = new TensorError(v.Name, v.DType.Name(), q.Scales[0], v.DType == DataType.Int8 ? 127 : 32767, q.ZeroPoints[0]);
            (errors.TryGetValue(source, out var l) ? l : errors[source] = []).Add(e);
            order.Add(e);
        }
        var executor = new FloatExecutor(graph);
        var model = EdgeNormModel.Load(builder.ToArray());
        int n = data.Values.First().Shape[0];
        var session = model.CreateSession(new SessionOptions { MaxBatch = Math.Min(batchSize, n) });
        var outSignal = new double[model.Outputs.Count];
        var outNoise = new double[model.Outputs.Count];
        var outCount = new long[model.Outputs.Count];
        int floatCorrect = 0, intCorrect = 0;
        int batches = (n + batchSize - 1) / batchSize;
        progress?.Invoke("report", 0, batches);
        for (int b = 0; b < batches; b++)
        {
            int start = b * batchSize, count = Math.Min(batchSize, n - start);
            var batch = data.ToDictionary(kv => kv.Key, kv => Quantizer.Rows(kv.Value, start, count));
            foreach (var (name, t) in batch)
                if (t.IsFloat && errors.TryGetValue(name, out var l)) foreach (var e in l) e.Add(t.F);
            var floats = executor.Run(batch, null, (_, name, t) =>
            {
                if (t.IsFloat && errors.TryGetValue(name, out var l)) foreach (var e in l) e.Add(t.F);
            });
            foreach (var input in model.Inputs)
            {
                var t = batch[input.Name];
                if (t.IsFloat) session.SetInput(input.Name, t.F);
                else session.SetInput(input.Name, t.L);
            }
            session.Run(count);
            for (int o = 0; o < model.Outputs.Count; o++)
            {
                var info = model.Outputs[o];
                var y = new float[count * info.SampleElements];
                session.GetOutput(info.Name, y);
                var f = floats[info.Name].F;
                for (int i = 0; i < y.Length; i++)
                {
                    double d = f[i] - (double)y[i];
                    outSignal[o] += (double)f[i] * f[i];
                    outNoise[o] += d * d;
                }
                outCount[o] += y.Length;
                if (o == 0 && labels is not null)
                {
                    int k = info.SampleElements;
                    for (int s = 0; s < count; s++)
                    {
                        if (ArgMax(f.AsSpan(s * k, k)) == labels[start + s]) floatCorrect++;
                        if (ArgMax(y.AsSpan(s * k, k)) == labels[start + s]) intCorrect++;
                    }
                }
            }
            progress?.Invoke("report", b + 1, batches);
        }
        return new CalibrationReport
        {
            Tensors = order,
            Outputs = model.Outputs.Select((o, i) => (o.Name,
                outNoise[i] == 0 ? double.PositiveInfinity : 10 * Math.Log10(outSignal[i] / outNoise[i]),
                outCount[i] == 0 ? 0 : Math.Sqrt(outNoise[i] / outCount[i]))).ToList(),
            Samples = n,
            Data = dataName,
            Correct = labels is null ? null : (floatCorrect, intCorrect),
        };
    }

    private static int ArgMax(ReadOnlySpan<float> v)
    {
        int best = 0;
        for (int i = 1; i < v.Length; i++) if (v[i] > v[best]) best = i;
        return best;
    }

    /// <summary>The JSON file of `--report`.</summary>
    public void WriteJson(Stream stream, string method)
    {
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteString("method", method);
        w.WriteString("data", Data);
        w.WriteNumber("samples", Samples);
        if (Correct is { } c)
        {
            var (fc, ic) = c;
            w.WriteNumber("float_top1", fc / (double)Samples);
            w.WriteNumber("integer_top1", ic / (double)Samples);
            w.WriteNumber("float_correct", fc);
            w.WriteNumber("integer_correct", ic);
        }
        w.WriteStartArray("outputs");
        foreach (var (name, sqnr, rmse) in Outputs)
        {
            w.WriteStartObject();
            w.WriteString("name", name);
            Number(w, "sqnr_db", sqnr);
            w.WriteNumber("rmse", rmse);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteStartArray("tensors");
        foreach (var t in Tensors)
        {
            w.WriteStartObject();
            w.WriteString("name", t.Name);
            w.WriteString("dtype", t.DType);
            w.WriteNumber("scale", t.Scale);
            Number(w, "sqnr_db", t.SqnrDb);
            w.WriteNumber("rmse", t.Rmse);
            w.WriteNumber("max_error", t.MaxError);
            w.WriteNumber("clipped_fraction", t.ClippedFraction);
            w.WriteNumber("values", t.Count);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>The per-layer table printed at the end of calibrate (one line per tensor, worst SQNR marked).</summary>
    public void WriteTable(TextWriter o)
    {
        var seen = Tensors.Where(t => t.Count > 0).ToList();
        int width = Math.Max(6, seen.Count == 0 ? 0 : seen.Max(t => t.Name.Length));
        o.WriteLine($"per-tensor quantisation error on {Samples} sample(s) of {Data}:");
        o.WriteLine($"  {"tensor".PadRight(width)}  type   SQNR dB      RMSE   clipped");
        double worst = seen.Count == 0 ? 0 : seen.Min(t => t.SqnrDb);
        foreach (var t in seen)
            o.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {t.Name.PadRight(width)}  {t.DType,-5} {t.SqnrDb,8:F1} {t.Rmse,9:G3} {t.ClippedFraction * 100,8:F3}%{(t.SqnrDb == worst ? "  <- worst" : "")}"));
        foreach (var (name, sqnr, rmse) in Outputs)
            o.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  output {name}: float vs integer model SQNR {sqnr:F1} dB, RMSE {rmse:G3}"));
        if (Correct is { } c)
            o.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  top-1: float {100.0 * c.Float / Samples:F2} % ({c.Float}), integer {100.0 * c.Integer / Samples:F2} % ({c.Integer})"));
    }

    private static void Number(Utf8JsonWriter w, string key, double v)
    {
        if (double.IsFinite(v)) w.WriteNumber(key, v);
        else w.WriteNull(key);
    }
}
