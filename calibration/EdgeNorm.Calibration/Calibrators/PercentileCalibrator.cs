using EdgeNorm.Model.Ir;

namespace EdgeNorm.Calibration.Calibrators;

/// <summary>
/// Percentile calibration: a 4,096-bin histogram of |x| over [0, max|x|]; the symmetric clip is the right edge of
/// the first bin whose cumulative count reaches the quantile (so at least that fraction of |x| is inside).
/// ONNX Runtime's symmetric percentile takes the left edge of that bin on 2,048 bins (calibration.md §3.2), a
/// clip up to one bin narrower; ours was measured first (docs/accuracy.md) and is kept.
/// </summary>
public sealed class PercentileCalibrator(MinMaxCalibrator minmax, double quantile = 0.9999, int bins = PercentileCalibrator.DefaultBins)
    : HistogramCalibrator(minmax, bins, absolute: true)
{
    /// <summary>Bins of the |x| histogram.</summary>
    public const int DefaultBins = 4096;

    /// <inheritdoc/>
    public override string Method => "percentile";

    /// <summary>The quantile of |x| kept inside the clip.</summary>
    public double Quantile => quantile;

    /// <inheritdoc/>
    protected override Range Clip(Histogram h, Range observed, DataType dtype) => Symmetric(Threshold(h, quantile), observed);

    /// <summary>The clip for a histogram of |x|.</summary>
    public static float Threshold(Histogram h, double quantile)
    {
        long total = h.Counts.Sum(), want = (long)Math.Ceiling(quantile * total), seen = 0;
        for (int b = 0; b < h.Bins; b++)
        {
            seen += h.Counts[b];
            if (seen >= want) return h.Edges[b + 1];
        }
        return h.Edges[^1];
    }
}
