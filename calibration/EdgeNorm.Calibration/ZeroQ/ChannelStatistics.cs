using System.Numerics;

namespace EdgeNorm.Calibration.ZeroQ;

/// <summary>How far one tensor's statistics are from its target: mean over groups of |μ̃−μ|/σ and |σ̃/σ−1|.</summary>
public sealed record StatisticsError(string Name, double Loss, double MeanError, double StdError);

/// <summary>
/// The statistics ZeroQ matches, and their gradient. A tensor [B, …] with channels on one axis is split into groups
/// — (sample, channel) in <see cref="ZeroQMode.Sample"/> mode, channel in <see cref="ZeroQMode.Batch"/> mode — and each
/// group's mean μ̃ and σ̃ = √(var + ε) are compared with the channel's target:
/// L = w·Σ_groups (μ̃ − μ_c)² + (σ̃ − σ_c)², w = 1/B per sample (ZeroQ's ‖·‖²/B), 1 for the batch.
/// Per-sample variance is unbiased (torch.var, as the reference code), batch variance is the population one.
/// ∂L/∂x_i = ∂L/∂μ̃/n + ∂L/∂σ̃·(x_i − μ̃)/((n − ddof)·σ̃).
/// </summary>
public static class ChannelStatistics
{
    /// <summary>Adds ∂L/∂x to <paramref name="grad"/> (when given) and returns L and the error measures.</summary>
    public static StatisticsError Evaluate<T>(BnTarget target, ReadOnlySpan<T> x, int[] shape, ZeroQMode mode, double epsilon, T[]? grad)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int axis = target.ChannelAxis < 0 ? target.ChannelAxis + shape.Length : target.ChannelAxis;
        if (axis <= 0 || axis >= shape.Length)
            throw new ZeroQException($"{target.Name}: channel axis {target.ChannelAxis} does not fit tensor '{target.Tensor}' of shape [{string.Join(",", shape)}] (axis 0 is the batch)");
        int batch = shape[0], channels = shape[axis];
        if (channels != target.Mean.Length)
            throw new ZeroQException($"{target.Name}: tensor '{target.Tensor}' has {channels} channels on axis {axis}, the BN statistics have {target.Mean.Length}");
        int inner = 1;
        for (int a = axis + 1; a < shape.Length; a++) inner *= shape[a];
        int sample = x.Length / batch;
        bool perSample = mode == ZeroQMode.Sample;
        int groups = perSample ? batch * channels : channels;
        int n = x.Length / groups, ddof = perSample ? 1 : 0;
        if (n - ddof < 1) throw new ZeroQException($"{target.Name}: one value per channel leaves no spread to match; use --zeroq-mode batch");

        int Group(int i) => perSample ? i / sample * channels + i / inner % channels : i / inner % channels;
        var sum = new double[groups];
        for (int i = 0; i < x.Length; i++) sum[Group(i)] += double.CreateTruncating(x[i]);
        var mean = new double[groups];
        for (int g = 0; g < groups; g++) mean[g] = sum[g] / n;
        var sq = new double[groups];
        for (int i = 0; i < x.Length; i++)
        {
            double c = double.CreateTruncating(x[i]) - mean[Group(i)];
            sq[Group(i)] += c * c;
        }
        double weight = perSample ? 1.0 / batch : 1.0, loss = 0, meanErr = 0, stdErr = 0;
        var dMean = new double[groups];
        var dStdOverStd = new double[groups];
        for (int g = 0; g < groups; g++)
        {
            int c = g % channels;
            double std = Math.Sqrt(sq[g] / (n - ddof) + epsilon);
            double dm = mean[g] - target.Mean[c], ds = std - target.Std[c];
            loss += weight * (dm * dm + ds * ds);
            meanErr += Math.Abs(dm) / target.Std[c];
            stdErr += Math.Abs(std / target.Std[c] - 1);
            dMean[g] = 2 * weight * dm / n;
            dStdOverStd[g] = 2 * weight * ds / ((n - ddof) * std);
        }
        if (grad is not null)
            for (int i = 0; i < x.Length; i++)
            {
                int g = Group(i);
                grad[i] += T.CreateTruncating(dMean[g] + dStdOverStd[g] * (double.CreateTruncating(x[i]) - mean[g]));
            }
        return new StatisticsError(target.Name, loss, meanErr / groups, stdErr / groups);
    }
}
