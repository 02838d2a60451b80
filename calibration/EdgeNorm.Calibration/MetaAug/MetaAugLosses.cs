using System.Numerics;

namespace EdgeNorm.Calibration.MetaAug;

/// <summary>The losses of MetaAug (calibration.md §2.2), each with its gradient written into an optional buffer.</summary>
public static class MetaAugLosses
{
    /// <summary>
    /// Mean over rows of KL(softmax(p/τ) ‖ softmax(q/τ)) (PyTorch's KLDivLoss "batchmean" with the teacher p as target);
    /// rows are the last axis of <paramref name="classes"/> values. <paramref name="dq"/> += ∂/∂q.
    /// </summary>
    public static double Kl<T>(T[] p, T[] q, int classes, double temperature, T[]? dq) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rows = p.Length / classes;
        double total = 0;
        var sp = new double[classes];
        var sq = new double[classes];
        for (int r = 0; r < rows; r++)
        {
            LogSoftmax(p.AsSpan(r * classes, classes), temperature, sp);
            LogSoftmax(q.AsSpan(r * classes, classes), temperature, sq);
            for (int c = 0; c < classes; c++)
            {
                double lp = sp[c], lq = sq[c];
                total += Math.Exp(lp) * (lp - lq);
                if (dq is not null) dq[r * classes + c] += T.CreateTruncating((Math.Exp(lq) - Math.Exp(lp)) / (temperature * rows));
            }
        }
        return total / rows;
    }

    /// <summary>Writes log softmax(x/τ) into <paramref name="log"/>.</summary>
    private static void LogSoftmax<T>(ReadOnlySpan<T> x, double temperature, double[] log) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double max = double.MinValue;
        for (int i = 0; i < x.Length; i++) max = Math.Max(max, double.CreateTruncating(x[i]) / temperature);
        double z = 0;
        for (int i = 0; i < x.Length; i++) z += Math.Exp(double.CreateTruncating(x[i]) / temperature - max);
        double lz = max + Math.Log(z);
        for (int i = 0; i < x.Length; i++) log[i] = double.CreateTruncating(x[i]) / temperature - lz;
    }

    /// <summary>ReLU(threshold − mean((t − x)²)): pushes T away from the identity until the mean squared change reaches the threshold.</summary>
    public static double Margin<T>(T[] transformed, T[] x, double threshold, T[]? dTransformed) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double m = 0;
        for (int i = 0; i < x.Length; i++) { double d = double.CreateTruncating(transformed[i] - x[i]); m += d * d; }
        m /= x.Length;
        if (m >= threshold) return 0;
        if (dTransformed is not null)
            for (int i = 0; i < x.Length; i++) dTransformed[i] -= T.CreateTruncating(2 * double.CreateTruncating(transformed[i] - x[i]) / x.Length);
        return threshold - m;
    }

    /// <summary>
    /// Block reconstruction error: the squared error summed over the last axis (channels) and averaged over the other
    /// positions (samples × tokens), as the reference's block loss.
    /// </summary>
    public static double Reconstruction<T>(T[] q, T[] target, int channels, T[]? dq) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rows = q.Length / channels;
        double sum = 0;
        for (int i = 0; i < q.Length; i++)
        {
            double d = double.CreateTruncating(q[i] - target[i]);
            sum += d * d;
            if (dq is not null) dq[i] += T.CreateTruncating(2 * d / rows);
        }
        return sum / rows;
    }
}
