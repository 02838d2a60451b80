using System.Numerics;

namespace EdgeNorm.Calibration.Autodiff.Ops;

/// <summary>
/// edgenorm.Linear: y = x·Wᵀ + b (W [N,K]); ∂x = ∂y·W, and when W, b are tape parameters ∂W = ∂yᵀ·x, ∂b = Σ_rows ∂y.
/// </summary>
internal sealed class LinearGrad<T> : GradOp<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly int _rows, _k, _n;

    public LinearGrad(GradNode info)
    {
        var w = info.InShape(1);
        _n = w[0];
        _k = w[1];
        var x = info.InShape(0);
        _rows = _k == 0 ? 0 : (int)(Model.Ir.Tensor.ElementCount(x) / _k);
    }

    public override T[][] Forward(T[]?[] inputs)
    {
        var y = new T[_rows * _n];
        if (inputs.Length > 2 && inputs[2] is { } b)
            for (int r = 0; r < _rows; r++) b.CopyTo(y, r * _n);
        Gemm.MultiplyAdd<T>(inputs[0], false, inputs[1], true, y, _rows, _k, _n);
        return [y];
    }

    public override void Backward(T[]?[] inputs, T[][] outputs, T[]?[] dOutputs, T[]?[] dInputs)
    {
        if (dOutputs[0] is not { } dy) return;
        if (dInputs[0] is { } dx) Gemm.MultiplyAdd<T>(dy, false, inputs[1], false, dx, _rows, _n, _k);
        if (dInputs.Length > 1 && dInputs[1] is { } dw) Gemm.MultiplyAdd<T>(dy, true, inputs[0], false, dw, _n, _rows, _k);
        if (dInputs.Length > 2 && dInputs[2] is { } db) BiasGradient.Add(dy, db, _rows, _n);
    }
}
