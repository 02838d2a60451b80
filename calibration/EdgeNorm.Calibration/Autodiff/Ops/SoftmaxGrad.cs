using System.Numerics;

namespace EdgeNorm.Calibration.Autodiff.Ops;

/// <summary>
/// ONNX Softmax along <c>axis</c> (opset ≥ 13: one axis, default −1; earlier: the input flattened to 2-D at
/// <c>axis</c>, default 1). ∂x = y ⊙ (∂y − Σ ∂y·y) per row.
/// </summary>
internal sealed class SoftmaxGrad<T> : GradOp<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly int _outer, _len, _inner;

    public SoftmaxGrad(GradNode info)
    {
        var x = info.InShape(0);
        bool legacy = info.Opset < 13;
        int axis = (int)info.Node.GetInt("axis", legacy ? 1 : -1);
        if (axis < 0) axis += x.Length;
        if (axis < 0 || axis >= Math.Max(x.Length, 1)) throw info.Error($"axis {axis} out of range for rank {x.Length}");
        _outer = 1;
        for (int a = 0; a < axis; a++) _outer *= x[a];
        _len = 1;
        _inner = 1;
        for (int a = axis; a < x.Length; a++)
            if (a == axis || legacy) _len *= x[a]; else _inner *= x[a];
    }

    public override T[][] Forward(T[]?[] inputs)
    {
        var x = inputs[0]!;
        var y = new T[x.Length];
        var row = new T[_len];
        for (int o = 0; o < _outer; o++)
            for (int i = 0; i < _inner; i++)
            {
                int b = o * _len * _inner + i;
                for (int j = 0; j < _len; j++) row[j] = x[b + j * _inner];
                SoftmaxRows.Forward<T>(row);
                for (int j = 0; j < _len; j++) y[b + j * _inner] = row[j];
            }
        return [y];
    }

    public override void Backward(T[]?[] inputs, T[][] outputs, T[]?[] dOutputs, T[]?[] dInputs)
    {
        if (dOutputs[0] is not { } dy || dInputs[0] is not { } dx) return;
        var y = outputs[0];
        var p = new T[_len];
        var g = new T[_len];
        var d = new T[_len];
        for (int o = 0; o < _outer; o++)
            for (int i = 0; i < _inner; i++)
            {
                int b = o * _len * _inner + i;
                for (int j = 0; j < _len; j++) { p[j] = y[b + j * _inner]; g[j] = dy[b + j * _inner]; d[j] = T.Zero; }
                SoftmaxRows.Backward<T>(p, g, d);
                for (int j = 0; j < _len; j++) dx[b + j * _inner] += d[j];
            }
    }
}
