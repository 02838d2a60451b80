using EdgeNorm.Model.Ir;

namespace EdgeNorm.Calibration.Calibrators;

/// <summary>
/// Base of the clipping calibrators (percentile, entropy, MSE): a second streaming pass after
/// <see cref="MinMaxCalibrator"/> bins every float tensor into one fixed histogram over its global range
/// (|x| over [0, max|x|], or x over [−max|x|, max|x|]); the clip is chosen from the histogram alone.
/// Memory: one histogram per tensor, never the activations (the failure of ONNX Runtime's collectors, calibration.md §5).
/// </summary>
public abstract class HistogramCalibrator(MinMaxCalibrator minmax, int bins, bool absolute) : IRangeSource
{
    private readonly Dictionary<string, Histogram> _histograms = new(StringComparer.Ordinal);

    /// <summary>The first pass (global ranges).</summary>
    public MinMaxCalibrator MinMax => minmax;

    /// <summary>The method's CLI name.</summary>
    public abstract string Method { get; }

    /// <summary>Feeds one tensor of the second pass (ignored unless float32 and seen by the first pass).</summary>
    public void Observe(string name, Tensor t)
    {
        if (!t.IsFloat || !minmax.Ranges.TryGetValue(name, out var r) || !(r.MaxAbs > 0) || float.IsInfinity(r.MaxAbs)) return;
        if (!_histograms.TryGetValue(name, out var h))
            _histograms[name] = h = absolute ? new Histogram(bins, 0f, r.MaxAbs) : new Histogram(bins, -r.MaxAbs, r.MaxAbs);
        h.Add(t.F, absolute);
    }

    /// <summary>The histogram of a tensor (null if it was never observed or is all zero).</summary>
    public Histogram? HistogramOf(string name) => _histograms.GetValueOrDefault(name);

    /// <inheritdoc/>
    public Range Get(string name) => Get(name, DataType.Int8);

    /// <inheritdoc/>
    public Range Get(string name, DataType dtype)
    {
        var r = minmax.Get(name);
        return _histograms.TryGetValue(name, out var h) && h.Counts.Any(c => c > 0) ? Clip(h, r, dtype) : r;
    }

    /// <summary>The clipped range from the histogram; never wider than <paramref name="observed"/>.</summary>
    protected abstract Range Clip(Histogram h, Range observed, DataType dtype);

    /// <summary>A symmetric clip ±t intersected with the observed range.</summary>
    protected static Range Symmetric(float t, Range observed) => new(Math.Max(observed.Min, -t), Math.Min(observed.Max, t));
}
