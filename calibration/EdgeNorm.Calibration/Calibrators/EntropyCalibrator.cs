using EdgeNorm.Model.Ir;

namespace EdgeNorm.Calibration.Calibrators;

/// <summary>
/// Entropy (KL) calibration, ONNX Runtime's definition of TensorRT's method (calibration.md §3.2;
/// <c>get_entropy_threshold</c> in onnxruntime/python/tools/quantization/calibrate.py): a histogram of x over
/// [−max|x|, max|x|] with <c>bins</c> bins (2,048 as TensorRT; ORT's default 128 leaves one candidate); for every
/// symmetric window of half-width quantizedBins/2 … bins/2 bins around the zero bin, p = the window with the
/// outliers folded into its edge bins, q = the window merged into quantizedBins bins and spread back evenly over
/// p's non-zero bins (integer division, as ORT's int64 array does), both smoothed (ε = 1e-4); the window with the
/// smallest KL(p‖q) wins, clipped to the observed range.
/// The 128 quantised bins model int8; an int16 tensor (65,535 levels) is not clipped.
/// </summary>
public sealed class EntropyCalibrator(MinMaxCalibrator minmax, int bins = EntropyCalibrator.DefaultBins, int quantizedBins = EntropyCalibrator.DefaultQuantizedBins)
    : HistogramCalibrator(minmax, bins, absolute: false)
{
    /// <summary>TensorRT's histogram size.</summary>
    public const int DefaultBins = 2048;
    /// <summary>TensorRT's and ORT's number of quantised bins.</summary>
    public const int DefaultQuantizedBins = 128;

    /// <inheritdoc/>
    public override string Method => "entropy";

    /// <inheritdoc/>
    protected override Range Clip(Histogram h, Range observed, DataType dtype)
    {
        if (dtype != DataType.Int8) return observed;
        var (lo, hi) = Threshold(h, quantizedBins);
        return new Range(Math.Max(observed.Min, lo), Math.Min(observed.Max, hi));
    }

    /// <summary>The (lower, upper) edges of the window with the least KL divergence (not yet clipped to the observed range).</summary>
    public static (float Lo, float Hi) Threshold(Histogram h, int quantizedBins)
    {
        var hist = h.Counts;
        int n = hist.Length, zero = n / 2, half = quantizedBins / 2;
        if (half < 1 || half > zero) throw new ArgumentOutOfRangeException(nameof(quantizedBins), $"{quantizedBins} quantised bins for {n} bins");
        var prefix = new long[n + 1];
        for (int i = 0; i < n; i++) prefix[i + 1] = prefix[i] + hist[i];
        var p = new long[n];
        var q = new long[n];
        double best = double.PositiveInfinity;
        int bestI = half;
        for (int i = half; i <= zero; i++)
        {
            int start = zero - i, end = Math.Min(zero + i + 1, n), len = end - start;
            for (int k = 0; k < len; k++) p[k] = hist[start + k];
            p[0] += prefix[start];
            p[len - 1] += prefix[n] - prefix[end];
            int merged = len / quantizedBins;
            for (int j = 0; j < quantizedBins; j++)
            {
                int s = j * merged;
                long sum = prefix[start + s + merged] - prefix[start + s];
                if (j == quantizedBins - 1) sum += prefix[end] - prefix[start + quantizedBins * merged];
                int nonzero = 0;
                for (int k = s; k < s + merged; k++) if (p[k] != 0) nonzero++;
                long v = nonzero == 0 ? 0 : sum / nonzero;
                for (int k = s; k < s + merged; k++) q[k] = v;
            }
            for (int k = quantizedBins * merged; k < len; k++) q[k] = 0; // ORT leaves the remainder bins of q at zero
            double kl = SmoothedKl(p.AsSpan(0, len), q.AsSpan(0, len));
            if (kl < best)
            {
                best = kl;
                bestI = i;
            }
        }
        return (h.Edges[zero - bestI], h.Edges[Math.Min(zero + bestI + 1, n)]);
    }

    /// <summary>KL(p‖q) after ORT's smooth_distribution (zeros → ε, non-zeros − ε·zeros/non-zeros); ∞ if either is all zero.</summary>
    private static double SmoothedKl(ReadOnlySpan<long> p, ReadOnlySpan<long> q)
    {
        const double Eps = 1e-4;
        if (!Smoothing(p, out double pZero, out double pOff, out double pSum) || !Smoothing(q, out double qZero, out double qOff, out double qSum))
            return double.PositiveInfinity;
        double kl = 0;
        for (int k = 0; k < p.Length; k++)
        {
            double a = (p[k] == 0 ? pZero : p[k] - pOff) / pSum;
            double b = (q[k] == 0 ? qZero : q[k] - qOff) / qSum;
            kl += a * Math.Log(a / b);
        }
        return kl;

        static bool Smoothing(ReadOnlySpan<long> x, out double zero, out double off, out double sum)
        {
            int zeros = 0;
            long total = 0;
            foreach (long v in x)
            {
                if (v == 0) zeros++;
                total += v;
            }
            int nonzeros = x.Length - zeros;
            zero = Eps;
            off = nonzeros == 0 ? 0 : Eps * zeros / nonzeros;
            sum = total + zeros * Eps - nonzeros * off;
            return nonzeros > 0;
        }
    }
}
