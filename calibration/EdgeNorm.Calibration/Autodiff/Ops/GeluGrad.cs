using System.Numerics;
using EdgeNorm.Calibration.Float.Ops;

namespace EdgeNorm.Calibration.Autodiff.Ops;

/// <summary>
/// edgenorm.Gelu. Exact form: y = x·Φ(x), y' = Φ(x) + x·φ(x) with Φ(x) = ½(1 + erf(x/√2)) (erf from the float
/// executor's <see cref="ErfOp.Erf"/>, accurate to double rounding). Tanh form: y = ½x(1 + tanh u),
/// u = √(2/π)(x + 0.044715x³), y' = ½(1 + tanh u) + ½x(1 − tanh²u)·√(2/π)(1 + 3·0.044715x²).
/// </summary>
internal sealed class GeluGrad<T> : GradOp<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private const double SqrtTwoOverPi = 0.79788456080286536;
    private const double Cubic = 0.044715;
    private const double InvSqrt2Pi = 0.3989422804014327;
    private readonly bool _tanh;

    public GeluGrad(GradNode info)
    {
        string form = info.Node.GetString("approximate") ?? "none";
        if (form is not ("none" or "tanh")) throw info.Error($"approximate must be \"none\" or \"tanh\", got \"{form}\"");
        _tanh = form == "tanh";
    }

    public override T[][] Forward(T[]?[] inputs)
    {
        var x = inputs[0]!;
        var y = new T[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            double v = D(x[i]);
            y[i] = Of(_tanh ? 0.5 * v * (1 + Math.Tanh(SqrtTwoOverPi * (v + Cubic * v * v * v))) : 0.5 * v * (1 + ErfOp.Erf(v / Math.Sqrt(2))));
        }
        return [y];
    }

    public override void Backward(T[]?[] inputs, T[][] outputs, T[]?[] dOutputs, T[]?[] dInputs)
    {
        if (dOutputs[0] is not { } dy || dInputs[0] is not { } dx) return;
        var x = inputs[0]!;
        for (int i = 0; i < x.Length; i++)
        {
            double v = D(x[i]), slope;
            if (_tanh)
            {
                double t = Math.Tanh(SqrtTwoOverPi * (v + Cubic * v * v * v));
                slope = 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * SqrtTwoOverPi * (1 + 3 * Cubic * v * v);
            }
            else
            {
                slope = 0.5 * (1 + ErfOp.Erf(v / Math.Sqrt(2))) + v * InvSqrt2Pi * Math.Exp(-0.5 * v * v);
            }
            dx[i] += dy[i] * Of(slope);
        }
    }
}
