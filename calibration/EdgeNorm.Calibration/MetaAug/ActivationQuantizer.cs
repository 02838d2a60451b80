using System.Numerics;
using EdgeNorm.Calibration.Autodiff;
using Range = EdgeNorm.Calibration.Calibrators.Range;

namespace EdgeNorm.Calibration.MetaAug;

/// <summary>How an activation quantiser acts.</summary>
public enum ActivationMode { Off, Quantize, QDrop }

/// <summary>
/// The learned step of one activation, shared by every edge that reads it at this scale (LSQ: the step is a
/// parameter; its gradient is accumulated here by the edges' backward), on the grid the quantiser will give the tensor:
/// symmetric codes −127…127, or (<see cref="Quantization.Quantizer.AsymmetricTensors"/>) asymmetric −128…127 with a
/// zero point fixed at the initial range's, so learning the step scales that range.
/// </summary>
public sealed class ActivationStep
{
    public const int Max = 127;

    public string Tensor { get; }
    public double Step { get; set; }
    public double Gradient { get; set; }
    public ActivationMode Mode { get; set; } = ActivationMode.Off;
    /// <summary>Zero point (0 when symmetric).</summary>
    public int ZeroPoint { get; }
    /// <summary>Lowest code: −127 symmetric, −128 asymmetric.</summary>
    public int Low { get; }

    /// <summary>A symmetric step.</summary>
    public ActivationStep(string tensor, double step)
    {
        Tensor = tensor;
        Step = step;
        Low = -Max;
    }

    private ActivationStep(string tensor, double step, int zeroPoint)
    {
        Tensor = tensor;
        Step = step;
        ZeroPoint = zeroPoint;
        Low = -Max - 1;
    }

    /// <summary>
    /// The asymmetric step the quantiser starts from for a calibrated [min, max]: the grid over [min(0, min), max(0, max)],
    /// scale (hi − lo)/255, zero point −128 − round(lo/scale) (the rule of docs/numerics.md §12.3).
    /// </summary>
    public static ActivationStep Asymmetric(string tensor, double min, double max)
    {
        double lo = Math.Min(0, min), hi = Math.Max(0, max);
        if (!(hi - lo > 0)) return new ActivationStep(tensor, 1, -Max - 1);
        double scale = (hi - lo) / 255;
        return new ActivationStep(tensor, scale, (int)Math.Clamp(-128 - (long)Math.Round(lo / scale), -128, 127));
    }

    /// <summary>The range that makes the quantiser choose this step (and zero point).</summary>
    public Range Range => new((float)(Step * (Low - ZeroPoint)), (float)(Step * (Max - ZeroPoint)));
}

/// <summary>
/// Fake int8 quantisation of a matmul's input on its tape edge: q(x) = s·(clamp(round(x/s) + z, low, 127) − z),
/// straight-through gradient inside the range (0 outside), LSQ gradient for s. QDrop: in training each element keeps
/// its float value with probability <paramref name="dropProbability"/> (a fresh mask every forward).
/// </summary>
public sealed class ActivationQuantizer<T>(ActivationStep step, Random rng, double dropProbability) : IEdgeTransform<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private bool[]? _kept;

    public ActivationStep Step => step;

    public T[] Forward(T[] x)
    {
        if (step.Mode == ActivationMode.Off) return x;
        double s = step.Step;
        int z = step.ZeroPoint, low = step.Low;
        var y = new T[x.Length];
        _kept = step.Mode == ActivationMode.QDrop ? new bool[x.Length] : null;
        for (int i = 0; i < x.Length; i++)
        {
            if (_kept is not null && rng.NextDouble() < dropProbability) { _kept[i] = true; y[i] = x[i]; continue; }
            double u = double.CreateTruncating(x[i]) / s;
            y[i] = T.CreateTruncating(s * (Math.Clamp(Math.Round(u, MidpointRounding.AwayFromZero) + z, low, ActivationStep.Max) - z));
        }
        return y;
    }

    public void Backward(T[] x, T[] dy, T[] dx)
    {
        if (step.Mode == ActivationMode.Off)
        {
            for (int i = 0; i < dx.Length; i++) dx[i] += dy[i];
            return;
        }
        double s = step.Step, ds = 0;
        int z = step.ZeroPoint, low = step.Low;
        for (int i = 0; i < x.Length; i++)
        {
            if (_kept is not null && _kept[i]) { dx[i] += dy[i]; continue; }
            double u = double.CreateTruncating(x[i]) / s, g = double.CreateTruncating(dy[i]);
            if (u + z > ActivationStep.Max) ds += g * (ActivationStep.Max - z);
            else if (u + z < low) ds += g * (low - z);
            else
            {
                dx[i] += dy[i];
                ds += g * (Math.Round(u, MidpointRounding.AwayFromZero) - u);
            }
        }
        step.Gradient += ds;
    }
}
