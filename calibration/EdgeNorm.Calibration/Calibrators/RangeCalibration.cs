using System.Globalization;
using EdgeNorm.Calibration.Data;
using EdgeNorm.Calibration.Float;
using EdgeNorm.Calibration.Quantization;
using EdgeNorm.Model.Format;
using EdgeNorm.Model.Ir;

namespace EdgeNorm.Calibration.Calibrators;

/// <summary>
/// Runs the calibration passes over the data in batches: pass 1 minmax (every method), pass 2 the histogram of the
/// chosen clipping method. Streaming: per tensor only a range and one histogram are kept.
/// </summary>
public static class RangeCalibration
{
    /// <summary>The methods, as `--method` spells them.</summary>
    public static readonly IReadOnlyList<string> Methods = ["minmax", "percentile", "entropy", "mse"];

    /// <summary>
    /// Calibrates every float tensor of the executor's graph on <paramref name="data"/> (samples on axis 0).
    /// <paramref name="progress"/> gets (phase, batches done, batches in the phase).
    /// </summary>
    public static CalibratedRanges Run(FloatExecutor executor, IReadOnlyDictionary<string, Tensor> data, string method,
        double percentile = 0.9999, int batchSize = 64, Action<string, int, int>? progress = null)
    {
        if (!Methods.Contains(method))
            throw new QuantizationException($"--method {method} is not available ({string.Join(", ", Methods)})");
        CalibrationDataChecks.RequireFinite(data);
        int samples = data.Values.First().Shape[0];
        var minmax = new MinMaxCalibrator();
        Pass(executor, data, samples, batchSize, "minmax", minmax.Observe, progress);
        if (method == "minmax") return new CalibratedRanges(method, minmax);
        HistogramCalibrator histogram = method switch
        {
            "percentile" => new PercentileCalibrator(minmax, percentile),
            "entropy" => new EntropyCalibrator(minmax),
            _ => new MseCalibrator(minmax),
        };
        Pass(executor, data, samples, batchSize, method + " histogram", histogram.Observe, progress);
        return new CalibratedRanges(method, histogram);
    }

    private static void Pass(FloatExecutor executor, IReadOnlyDictionary<string, Tensor> data, int samples, int batchSize,
        string phase, Action<string, Tensor> observe, Action<string, int, int>? progress)
    {
        foreach (var (name, t) in data) observe(name, t);
        int batches = (samples + batchSize - 1) / batchSize;
        progress?.Invoke(phase, 0, batches);
        for (int b = 0; b < batches; b++)
        {
            int start = b * batchSize, count = Math.Min(batchSize, samples - start);
            var batch = data.ToDictionary(kv => kv.Key, kv => Quantizer.Rows(kv.Value, start, count));
            executor.Run(batch, null, (_, name, t) => observe(name, t));
            progress?.Invoke(phase, b + 1, batches);
        }
    }
}

/// <summary>
/// The ranges one method produced, remembering every range the quantiser asked for, so the file can record the
/// per-tensor choice (<see cref="WriteMetadata"/>: <c>calibration.range.&lt;tensor&gt;</c>, shown by <c>edgenorm inspect</c>).
/// </summary>
public sealed class CalibratedRanges(string method, IRangeSource source) : IRangeSource
{
    private readonly SortedDictionary<string, SortedDictionary<DataType, Range>> _used = new(StringComparer.Ordinal);

    /// <summary>The method (minmax, percentile, entropy, mse).</summary>
    public string Method => method;

    /// <summary>The calibrator behind the ranges.</summary>
    public IRangeSource Source => source;

    /// <summary>The observed (minmax) range of a tensor.</summary>
    public Range Observed(string name) => source is HistogramCalibrator h ? h.MinMax.Get(name) : source.Get(name);

    /// <inheritdoc/>
    public Range Get(string name) => Get(name, DataType.Int8);

    /// <inheritdoc/>
    public Range Get(string name, DataType dtype)
    {
        var r = source.Get(name, dtype);
        if (!_used.TryGetValue(name, out var byType)) _used[name] = byType = [];
        byType[dtype] = r;
        return r;
    }

    /// <summary>Every (tensor, type, range) handed out so far, in name order.</summary>
    public IEnumerable<(string Name, DataType DType, Range Range)> Used =>
        _used.SelectMany(kv => kv.Value.Select(t => (kv.Key, t.Key, t.Value)));

    /// <summary>
    /// One metadata entry per calibrated tensor: "&lt;method&gt; int8 ±clip of [min, max]" (several types joined by "; ",
    /// e.g. a residual value and its int8 copy).
    /// </summary>
    public void WriteMetadata(EdgnBuilder builder)
    {
        foreach (var (name, byType) in _used)
        {
            var o = Observed(name);
            string text = string.Join("; ", byType.Select(t =>
                $"{method} {t.Key.Name()} ±{F(t.Value.MaxAbs)} of [{F(o.Min)}, {F(o.Max)}]"));
            builder.SetMetadata("calibration.range." + name, text);
        }
    }

    private static string F(float v) => v.ToString("G6", CultureInfo.InvariantCulture);
}
