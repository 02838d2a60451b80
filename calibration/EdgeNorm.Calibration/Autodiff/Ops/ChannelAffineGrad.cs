using System.Numerics;
using EdgeNorm.Model.Ir;

namespace EdgeNorm.Calibration.Autodiff.Ops;

/// <summary>
/// Batch normalisation in eval mode — edgenorm.BatchNorm (channels on axis 1) and edgenorm.RepBN (BN + α·x, channels
/// on the last axis) — is one per-channel affine y = a_c·x + b_c; ∂x = a_c·∂y. The statistics and affine are frozen.
/// a, b are computed in double from the float parameters (as <c>RepBnOp.Fold</c> does), then held in T.
/// </summary>
internal sealed class ChannelAffineGrad<T> : GradOp<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[] _a, _b;
    private readonly int _channels, _inner;

    public ChannelAffineGrad(GradNode info)
    {
        bool rep = info.Node.OpType == "RepBN";
        for (int i = 1; i < info.Node.Inputs.Count; i++) info.RequireConstant(i, "a BN parameter");
        var x = info.InShape(0);
        int axis = rep ? x.Length - 1 : 1;
        if (x.Length <= axis) throw info.Error($"input of rank {x.Length} has no channel axis {axis}");
        _channels = x[axis];
        _inner = 1;
        for (int d = axis + 1; d < x.Length; d++) _inner *= x[d];
        double eps = info.Node.GetFloat("epsilon", 1e-5f);
        var gamma = PerChannel(info, 1);
        var beta = PerChannel(info, 2);
        var mean = PerChannel(info, 3);
        var var = PerChannel(info, 4);
        var alpha = rep && info.Constants.Length > 5 && info.Constants[5] is not null ? PerChannel(info, 5) : null;
        _a = new T[_channels];
        _b = new T[_channels];
        for (int c = 0; c < _channels; c++)
        {
            double s = gamma[c] / Math.Sqrt(var[c] + eps);
            _a[c] = T.CreateTruncating(s + (alpha?[c] ?? 0));
            _b[c] = T.CreateTruncating(beta[c] - mean[c] * s);
        }
    }

    private double[] PerChannel(GradNode info, int i)
    {
        var t = info.Constants[i] ?? throw info.Error($"input {i} is missing");
        var f = t.F;
        if (f.Length == _channels) return f.Select(v => (double)v).ToArray();
        if (f.Length == 1) return Enumerable.Repeat((double)f[0], _channels).ToArray();
        throw info.Error($"input {i} has {f.Length} values, expected {_channels}");
    }

    public override T[][] Forward(T[]?[] inputs)
    {
        var x = inputs[0]!;
        var y = new T[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            int c = i / _inner % _channels;
            y[i] = _a[c] * x[i] + _b[c];
        }
        return [y];
    }

    public override void Backward(T[]?[] inputs, T[][] outputs, T[]?[] dOutputs, T[]?[] dInputs)
    {
        if (dOutputs[0] is not { } dy || dInputs[0] is not { } dx) return;
        for (int i = 0; i < dy.Length; i++) dx[i] += _a[i / _inner % _channels] * dy[i];
    }
}
