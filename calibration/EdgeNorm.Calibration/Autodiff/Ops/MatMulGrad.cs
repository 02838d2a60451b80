using System.Numerics;

namespace EdgeNorm.Calibration.Autodiff.Ops;

/// <summary>
/// ONNX MatMul of two rank ≥ 2 tensors, batch axes broadcast: C = A·B per batch; ∂A = ∂C·Bᵀ, ∂B = Aᵀ·∂C (summed
/// over broadcast batches). Either operand may be active (attention written out as MatMuls).
/// </summary>
internal sealed class MatMulGrad<T> : GradOp<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly int _m, _k, _n;
    private readonly int[] _aBatch, _bBatch;

    public MatMulGrad(GradNode info)
    {
        var a = info.InShape(0);
        var b = info.InShape(1);
        if (a.Length < 2 || b.Length < 2) throw info.Error("gradients of MatMul with a 1-D operand are not implemented");
        _m = a[^2];
        _k = a[^1];
        _n = b[^1];
        var c = info.OutShape(0);
        // Batch offsets (in matrices) of A and B for every batch of C, numpy broadcasting over the leading axes.
        _aBatch = Broadcast.Offsets(a[..^2], c[..^2]);
        _bBatch = Broadcast.Offsets(b[..^2], c[..^2]);
    }

    public override T[][] Forward(T[]?[] inputs)
    {
        var a = inputs[0]!;
        var b = inputs[1]!;
        var c = new T[_aBatch.Length * _m * _n];
        for (int i = 0; i < _aBatch.Length; i++)
            Gemm.MultiplyAdd<T>(a.AsSpan(_aBatch[i] * _m * _k, _m * _k), false, b.AsSpan(_bBatch[i] * _k * _n, _k * _n), false,
                c.AsSpan(i * _m * _n, _m * _n), _m, _k, _n);
        return [c];
    }

    public override void Backward(T[]?[] inputs, T[][] outputs, T[]?[] dOutputs, T[]?[] dInputs)
    {
        if (dOutputs[0] is not { } dc) return;
        var a = inputs[0]!;
        var b = inputs[1]!;
        for (int i = 0; i < _aBatch.Length; i++)
        {
            var dci = dc.AsSpan(i * _m * _n, _m * _n);
            if (dInputs[0] is { } da)
                Gemm.MultiplyAdd<T>(dci, false, b.AsSpan(_bBatch[i] * _k * _n, _k * _n), true, da.AsSpan(_aBatch[i] * _m * _k, _m * _k), _m, _n, _k);
            if (dInputs[1] is { } db)
                Gemm.MultiplyAdd<T>(a.AsSpan(_aBatch[i] * _m * _k, _m * _k), true, dci, false, db.AsSpan(_bBatch[i] * _k * _n, _k * _n), _k, _m, _n);
        }
    }
}
