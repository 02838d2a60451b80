using System.Numerics;

namespace EdgeNorm.Calibration.Autodiff.Optimizers;

/// <summary>
/// Adam as PyTorch's <c>torch.optim.Adam</c> (no weight decay, no amsgrad): m ← β₁m + (1−β₁)g,
/// v ← β₂v + (1−β₂)g², x ← x − lr·m̂/(√v̂ + ε) with bias-corrected m̂, v̂. Moments kept in double.
/// </summary>
public sealed class Adam(int size, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8)
{
    private readonly double[] _m = new double[size];
    private readonly double[] _v = new double[size];
    private int _t;

    /// <summary>Steps taken so far.</summary>
    public int StepCount => _t;

    public void Step<T>(T[] x, T[] grad, double learningRate) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.Length != _m.Length || grad.Length != _m.Length) throw new ArgumentException("parameter size changed");
        _t++;
        double c1 = 1 - Math.Pow(beta1, _t), c2 = 1 - Math.Pow(beta2, _t);
        for (int i = 0; i < x.Length; i++)
        {
            double g = double.CreateTruncating(grad[i]);
            _m[i] = beta1 * _m[i] + (1 - beta1) * g;
            _v[i] = beta2 * _v[i] + (1 - beta2) * g * g;
            double step = learningRate * (_m[i] / c1) / (Math.Sqrt(_v[i] / c2) + epsilon);
            x[i] -= T.CreateTruncating(step);
        }
    }
}
