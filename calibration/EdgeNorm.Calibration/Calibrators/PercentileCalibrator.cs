using EdgeNorm.Model.Ir;

namespace EdgeNorm.Calibration.Calibrators;

/// <summary>The ranges a quantiser reads, by float tensor name.</summary>
public interface IRangeSource
{
    /// <summary>The calibrated range of a tensor.</summary>
    Range Get(string name);
}

/// <summary>
/// Percentile calibration, streaming: a second pass after <see cref="MinMaxCalibrator"/> histograms |x| of every
/// tensor into 4,096 bins over [0, max|x|] and clips the symmetric range at the given quantile of |x|.
/// Memory: one histogram per tensor, never the activations.
/// </summary>
public sealed class PercentileCalibrator(MinMaxCalibrator minmax, double quantile = 0.9999) : IRangeSource
{
    private const int Bins = 4096;
    private readonly Dictionary<string, long[]> _histograms = new(StringComparer.Ordinal);

    /// <summary>Feeds one tensor of the second pass (ignored unless float32 and seen by the first pass).</summary>
    public void Observe(string name, Tensor t)
    {
        if (!t.IsFloat || !minmax.Ranges.TryGetValue(name, out var r) || !(r.MaxAbs > 0)) return;
        if (!_histograms.TryGetValue(name, out var h)) _histograms[name] = h = new long[Bins];
        double k = Bins / (double)r.MaxAbs;
        foreach (float v in t.F)
        {
            if (float.IsNaN(v)) continue;
            h[Math.Min(Bins - 1, (int)(Math.Abs(v) * k))]++;
        }
    }

    /// <inheritdoc/>
    public Range Get(string name)
    {
        var r = minmax.Get(name);
        if (!_histograms.TryGetValue(name, out var h)) return r;
        long total = h.Sum(), want = (long)Math.Ceiling(quantile * total), seen = 0;
        for (int b = 0; b < Bins; b++)
        {
            seen += h[b];
            if (seen >= want)
            {
                float t = (float)(r.MaxAbs * (b + 1) / Bins);
                return new Range(Math.Max(r.Min, -t), Math.Min(r.Max, t));
            }
        }
        return r;
    }
}
