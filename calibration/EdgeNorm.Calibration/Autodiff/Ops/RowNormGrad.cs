using System.Numerics;
using EdgeNorm.Model.Ir;

namespace EdgeNorm.Calibration.Autodiff.Ops;

/// <summary>
/// edgenorm.LayerNorm and edgenorm.L1Norm over the last axis (γ, β frozen). Row statistics are accumulated in double.
/// LayerNorm: x̂ = (x − μ)·r, r = 1/√(σ² + ε); ∂x = r·(g − mean(g) − x̂·mean(g·x̂)) with g = γ·∂y.
/// L1Norm: c = x − μ, den = k·mean|c| + ε, y = c/den·γ + β; ∂c_i = g_i/den − k·sign(c_i)·Σ_j g_j c_j/(d·den²),
/// then ∂x = ∂c − mean(∂c) (c depends on x through μ). sign(0) = 0: the subgradient torch uses.
/// </summary>
internal sealed class RowNormGrad<T> : GradOp<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly bool _l1;
    private readonly int _d, _rows;
    private readonly double _eps, _k;

    public RowNormGrad(GradNode info)
    {
        _l1 = info.Node.OpType == "L1Norm";
        info.RequireConstant(1, "gamma");
        info.RequireConstant(2, "beta");
        var x = info.InShape(0);
        if (x.Length < 1) throw info.Error("X must have at least one axis");
        _d = x[^1];
        _rows = _d == 0 ? 0 : (int)(Tensor.ElementCount(x) / _d);
        _eps = info.Node.GetFloat("epsilon", _l1 ? 0f : 1e-5f);
        _k = info.Node.GetFloat("mad_scale", 1f);
    }

    private T Gamma(T[]?[] inputs, int i) => inputs.Length > 1 && inputs[1] is { } g ? g[g.Length == 1 ? 0 : i] : T.One;
    private T Beta(T[]?[] inputs, int i) => inputs.Length > 2 && inputs[2] is { } b ? b[b.Length == 1 ? 0 : i] : T.Zero;

    /// <summary>The row's mean and the factor that turns x − μ into the normalised value.</summary>
    private (double Mean, double Inv) Stats(T[] x, int o)
    {
        double sum = 0;
        for (int i = 0; i < _d; i++) sum += D(x[o + i]);
        double mean = sum / _d, acc = 0;
        for (int i = 0; i < _d; i++)
        {
            double c = D(x[o + i]) - mean;
            acc += _l1 ? Math.Abs(c) : c * c;
        }
        return (mean, _l1 ? 1 / (_k * acc / _d + _eps) : 1 / Math.Sqrt(acc / _d + _eps));
    }

    public override T[][] Forward(T[]?[] inputs)
    {
        var x = inputs[0]!;
        var y = new T[x.Length];
        for (int r = 0; r < _rows; r++)
        {
            int o = r * _d;
            var (mean, inv) = Stats(x, o);
            for (int i = 0; i < _d; i++)
                y[o + i] = Of((D(x[o + i]) - mean) * inv) * Gamma(inputs, i) + Beta(inputs, i);
        }
        return [y];
    }

    public override void Backward(T[]?[] inputs, T[][] outputs, T[]?[] dOutputs, T[]?[] dInputs)
    {
        if (dOutputs[0] is not { } dy || dInputs[0] is not { } dx) return;
        var x = inputs[0]!;
        var g = new double[_d];
        var dc = new double[_d];
        for (int r = 0; r < _rows; r++)
        {
            int o = r * _d;
            var (mean, inv) = Stats(x, o);
            for (int i = 0; i < _d; i++) g[i] = D(dy[o + i] * Gamma(inputs, i));
            if (_l1)
            {
                double gc = 0;
                for (int i = 0; i < _d; i++) gc += g[i] * (D(x[o + i]) - mean);
                double through = _k * gc * inv * inv / _d;
                double mdc = 0;
                for (int i = 0; i < _d; i++)
                {
                    dc[i] = g[i] * inv - through * Math.Sign(D(x[o + i]) - mean);
                    mdc += dc[i];
                }
                mdc /= _d;
                for (int i = 0; i < _d; i++) dx[o + i] += Of(dc[i] - mdc);
            }
            else
            {
                double mg = 0, mgx = 0;
                for (int i = 0; i < _d; i++)
                {
                    double xh = (D(x[o + i]) - mean) * inv;
                    mg += g[i];
                    mgx += g[i] * xh;
                }
                mg /= _d;
                mgx /= _d;
                for (int i = 0; i < _d; i++)
                {
                    double xh = (D(x[o + i]) - mean) * inv;
                    dx[o + i] += Of(inv * (g[i] - mg - xh * mgx));
                }
            }
        }
    }
}
