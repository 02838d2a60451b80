using EdgeNorm.Model.Ir;

namespace EdgeNorm.Calibration.Calibrators;

/// <summary>
/// MSE-optimal clipping, the definition of NVIDIA pytorch-quantization's histogram calibrator (<c>_compute_amax_mse</c>):
/// a histogram of |x| over [0, max|x|] with 2,048 bins; every bin centre from bin 128 up is a candidate clip a; the
/// bin centres are fake-quantised symmetrically at scale bound/a (round half to even, clamp to ±bound) and the
/// count-weighted squared error is summed; the candidate with the least error wins. bound = 127 for an int8
/// tensor and 32,767 for int16, so the residual stream's clip is optimal for its own width.
/// </summary>
public sealed class MseCalibrator(MinMaxCalibrator minmax, int bins = MseCalibrator.DefaultBins, int startBin = MseCalibrator.DefaultStartBin)
    : HistogramCalibrator(minmax, bins, absolute: true)
{
    /// <summary>Bins of the |x| histogram.</summary>
    public const int DefaultBins = 2048;
    /// <summary>The first candidate bin (the clip is never below 1/16 of max|x|).</summary>
    public const int DefaultStartBin = 128;

    /// <inheritdoc/>
    public override string Method => "mse";

    /// <inheritdoc/>
    protected override Range Clip(Histogram h, Range observed, DataType dtype) =>
        Symmetric(Threshold(h, dtype == DataType.Int16 ? 32767 : 127, startBin), observed);

    /// <summary>The MSE-optimal clip for a histogram of |x| and a symmetric quantiser with levels −bound … bound.</summary>
    public static float Threshold(Histogram h, int bound, int startBin = DefaultStartBin)
    {
        int n = h.Bins;
        var centers = new float[n];
        for (int i = 0; i < n; i++) centers[i] = (h.Edges[i + 1] + h.Edges[i]) / 2f;
        double best = double.PositiveInfinity;
        int bestI = n - 1;
        for (int i = Math.Min(startBin, n - 1); i < n; i++)
        {
            float scale = bound / centers[i];
            double err = 0;
            for (int j = 0; j < n; j++)
            {
                if (h.Counts[j] == 0) continue;
                float qv = Math.Clamp(MathF.Round(centers[j] * scale, MidpointRounding.ToEven), -bound, bound) / scale;
                double d = qv - centers[j];
                err += d * d * h.Counts[j];
            }
            if (err < best)
            {
                best = err;
                bestI = i;
            }
        }
        return centers[bestI];
    }
}
