using EdgeNorm.Calibration.Quantization;
using EdgeNorm.Model.Ir;

namespace EdgeNorm.Calibration.Calibrators;

/// <summary>
/// The minmax calibrator: observes every float tensor the executor produces (its observer callback) and keeps a
/// running min/max per tensor name (ONNX Runtime's MinMax: global min of the minima, global max of the maxima).
/// It is also the first pass of every histogram calibrator, which needs the global range before binning.
/// </summary>
public sealed class MinMaxCalibrator : IRangeSource
{
    private readonly Dictionary<string, Range> _ranges = new(StringComparer.Ordinal);

    /// <summary>The ranges seen so far, by tensor name.</summary>
    public IReadOnlyDictionary<string, Range> Ranges => _ranges;

    /// <summary>Feeds one tensor (ignored unless float32).</summary>
    public void Observe(string name, Tensor t)
    {
        if (!t.IsFloat || t.Length == 0) return;
        var f = t.F;
        float lo = float.PositiveInfinity, hi = float.NegativeInfinity;
        foreach (float v in f)
        {
            if (float.IsNaN(v)) continue;
            if (v < lo) lo = v;
            if (v > hi) hi = v;
        }
        if (lo > hi) return;
        _ranges[name] = _ranges.TryGetValue(name, out var r) ? new Range(Math.Min(r.Min, lo), Math.Max(r.Max, hi)) : new Range(lo, hi);
    }

    /// <summary>The range of a tensor, or an error naming it.</summary>
    public Range Get(string name) => _ranges.TryGetValue(name, out var r) ? r
        : throw new QuantizationException($"no calibration range for tensor '{name}' (the float executor never produced it)");
}
