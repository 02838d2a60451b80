using System.Numerics;
using EdgeNorm.Calibration.Autodiff;

namespace EdgeNorm.Calibration.MetaAug;

/// <summary>How an activation quantiser acts.</summary>
public enum ActivationMode { Off, Quantize, QDrop }

/// <summary>
/// The learned step of one activation, shared by every edge that reads it at this scale (LSQ: the step is a
/// parameter; its gradient is accumulated here by the edges' backward).
/// </summary>
public sealed class ActivationStep(string tensor, double step)
{
    public string Tensor { get; } = tensor;
    public double Step { get; set; } = step;
    public double Gradient { get; set; }
    public ActivationMode Mode { get; set; } = ActivationMode.Off;
    public const int Max = 127;
}

/// <summary>
/// Fake int8 quantisation of a matmul's input on its tape edge: q(x) = s·clamp(round(x/s), −127, 127), straight-through
/// gradient inside the range (0 outside), LSQ gradient for s. QDrop: in training each element keeps its float value
/// with probability <paramref name="dropProbability"/> (a fresh mask every forward).
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
        var y = new T[x.Length];
        _kept = step.Mode == ActivationMode.QDrop ? new bool[x.Length] : null;
        for (int i = 0; i < x.Length; i++)
        {
            if (_kept is not null && rng.NextDouble() < dropProbability) { _kept[i] = true; y[i] = x[i]; continue; }
            double u = double.CreateTruncating(x[i]) / s;
            y[i] = T.CreateTruncating(s * Math.Clamp(Math.Round(u, MidpointRounding.AwayFromZero), -ActivationStep.Max, ActivationStep.Max));
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
        for (int i = 0; i < x.Length; i++)
        {
            if (_kept is not null && _kept[i]) { dx[i] += dy[i]; continue; }
            double u = double.CreateTruncating(x[i]) / s, g = double.CreateTruncating(dy[i]);
            if (u > ActivationStep.Max) ds += g * ActivationStep.Max;
            else if (u < -ActivationStep.Max) ds -= g * ActivationStep.Max;
            else
            {
                dx[i] += dy[i];
                ds += g * (Math.Round(u, MidpointRounding.AwayFromZero) - u);
            }
        }
        step.Gradient += ds;
    }
}
