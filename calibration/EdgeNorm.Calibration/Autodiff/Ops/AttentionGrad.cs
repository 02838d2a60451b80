using System.Numerics;
using System.Numerics.Tensors;

namespace EdgeNorm.Calibration.Autodiff.Ops;

/// <summary>
/// edgenorm.Attention (packed qkv or separate q, k, v; optional constant additive mask). Per (batch, head):
/// S = scale·Q·Kᵀ + M, P = softmax_rows(S), O = P·V. Backward: ∂V = Pᵀ·∂O, ∂P = ∂O·Vᵀ, ∂S = P ⊙ (∂P − rowsum(∂P ⊙ P)),
/// ∂Q = scale·∂S·K, ∂K = scale·∂Sᵀ·Q. P is kept from the forward. With a <see cref="ProbabilityTransform"/> the product
/// uses P̂ = f(P) (O = P̂·V, ∂V = P̂ᵀ·∂O) and ∂P̂ passes straight through to ∂P.
/// </summary>
internal sealed class AttentionGrad<T> : GradOp<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly bool _packed;
    private readonly int _batch, _heads, _sq, _sk, _dh, _width, _qStride, _kStride, _vStride, _kOff, _vOff;
    private readonly T _scale;
    private readonly int[]? _mask;   // flat mask offset for (b, h, i, j), when a mask is given
    private T[] _probs = [];
    private T[] _used = [];   // P̂ when a transform is set, else P

    /// <summary>Fake quantisation of the probabilities (straight-through backward); null for none.</summary>
    public IRowTransform<T>? ProbabilityTransform { get; set; }

    public AttentionGrad(GradNode info)
    {
        _heads = (int)info.Node.GetInt("num_heads", 0);
        if (_heads <= 0) throw info.Error("num_heads must be positive");
        _scale = T.CreateTruncating(info.Node.GetFloat("scale", 1f));
        _packed = info.Node.GetInt("packed_qkv", 0) != 0;
        var q = info.InShape(0);
        _batch = q[0];
        _sq = q[1];
        if (_packed)
        {
            _width = q[2] / 3;
            _sk = _sq;
            _qStride = _kStride = _vStride = q[2];
            _kOff = _width;
            _vOff = 2 * _width;
        }
        else
        {
            _width = q[2];
            _sk = info.InShape(1)[1];
            _qStride = _kStride = _vStride = _width;
        }
        _dh = _width / _heads;
        if (info.Node.Inputs.Count > 3 && info.Node.Inputs[3].Length > 0)
        {
            info.RequireConstant(3, "the mask");
            _mask = Broadcast.Offsets(info.InShape(3), [_batch, _heads, _sq, _sk]);
        }
    }

    private (T[] Q, T[] K, T[] V) Operands(T[]?[] inputs) =>
        _packed ? (inputs[0]!, inputs[0]!, inputs[0]!) : (inputs[0]!, inputs[1]!, inputs[2]!);

    public override T[][] Forward(T[]?[] inputs)
    {
        var (qf, kf, vf) = Operands(inputs);
        var mask = _mask is null ? null : inputs[3]!;
        var y = new T[_batch * _sq * _width];
        _probs = new T[_batch * _heads * _sq * _sk];
        _used = ProbabilityTransform is null ? _probs : new T[_probs.Length];
        var qh = new T[_sq * _dh];
        var kh = new T[_sk * _dh];
        var vh = new T[_sk * _dh];
        var oh = new T[_sq * _dh];
        for (int b = 0; b < _batch; b++)
            for (int h = 0; h < _heads; h++)
            {
                Gather(qf, b, h, _sq, _qStride, 0, qh);
                Gather(kf, b, h, _sk, _kStride, _kOff, kh);
                Gather(vf, b, h, _sk, _vStride, _vOff, vh);
                var p = _probs.AsSpan((b * _heads + h) * _sq * _sk, _sq * _sk);
                Gemm.MultiplyAdd<T>(qh, false, kh, true, p, _sq, _dh, _sk);
                TensorPrimitives.Multiply(p, _scale, p);
                if (mask is not null)
                {
                    int baseIndex = (b * _heads + h) * _sq * _sk;
                    for (int e = 0; e < _sq * _sk; e++) p[e] += mask[_mask![baseIndex + e]];
                }
                for (int i = 0; i < _sq; i++) SoftmaxRows.Forward(p.Slice(i * _sk, _sk));
                Span<T> used = p;
                if (ProbabilityTransform is { } f)
                {
                    used = _used.AsSpan((b * _heads + h) * _sq * _sk, _sq * _sk);
                    p.CopyTo(used);
                    for (int i = 0; i < _sq; i++) f.Apply(used.Slice(i * _sk, _sk));
                }
                Array.Clear(oh);
                Gemm.MultiplyAdd<T>(used, false, vh, false, oh, _sq, _sk, _dh);
                for (int i = 0; i < _sq; i++) oh.AsSpan(i * _dh, _dh).CopyTo(y.AsSpan((b * _sq + i) * _width + h * _dh, _dh));
            }
        return [y];
    }

    public override void Backward(T[]?[] inputs, T[][] outputs, T[]?[] dOutputs, T[]?[] dInputs)
    {
        if (dOutputs[0] is not { } dy) return;
        var (qf, kf, vf) = Operands(inputs);
        var (dq, dk, dv) = _packed ? (dInputs[0], dInputs[0], dInputs[0]) : (dInputs[0], dInputs[1], dInputs[2]);
        var qh = new T[_sq * _dh];
        var kh = new T[_sk * _dh];
        var vh = new T[_sk * _dh];
        var doh = new T[_sq * _dh];
        var dp = new T[_sq * _sk];
        var ds = new T[_sq * _sk];
        var tmpQ = new T[_sq * _dh];
        var tmpK = new T[_sk * _dh];
        for (int b = 0; b < _batch; b++)
            for (int h = 0; h < _heads; h++)
            {
                Gather(qf, b, h, _sq, _qStride, 0, qh);
                Gather(kf, b, h, _sk, _kStride, _kOff, kh);
                Gather(vf, b, h, _sk, _vStride, _vOff, vh);
                Gather(dy, b, h, _sq, _width, 0, doh);
                ReadOnlySpan<T> p = _probs.AsSpan((b * _heads + h) * _sq * _sk, _sq * _sk);
                if (dv is not null)
                {
                    Array.Clear(tmpK);
                    Gemm.MultiplyAdd<T>(_used.AsSpan((b * _heads + h) * _sq * _sk, _sq * _sk), true, doh, false, tmpK, _sk, _sq, _dh);
                    Scatter(tmpK, b, h, _sk, _vStride, _vOff, dv);
                }
                if (dq is null && dk is null) continue;
                Array.Clear(dp);
                Gemm.MultiplyAdd<T>(doh, false, vh, true, dp, _sq, _dh, _sk);
                Array.Clear(ds);
                for (int i = 0; i < _sq; i++)
                    SoftmaxRows.Backward(p.Slice(i * _sk, _sk), dp.AsSpan(i * _sk, _sk), ds.AsSpan(i * _sk, _sk));
                TensorPrimitives.Multiply(ds, _scale, ds);
                if (dq is not null)
                {
                    Array.Clear(tmpQ);
                    Gemm.MultiplyAdd<T>(ds, false, kh, false, tmpQ, _sq, _sk, _dh);
                    Scatter(tmpQ, b, h, _sq, _qStride, 0, dq);
                }
                if (dk is not null)
                {
                    Array.Clear(tmpK);
                    Gemm.MultiplyAdd<T>(ds, true, qh, false, tmpK, _sk, _sq, _dh);
                    Scatter(tmpK, b, h, _sk, _kStride, _kOff, dk);
                }
            }
    }

    /// <summary>Copies head h of batch b ([rows, Dh]) out of a [B, rows, stride] tensor.</summary>
    private void Gather(T[] src, int b, int h, int rows, int stride, int offset, T[] dst)
    {
        for (int i = 0; i < rows; i++)
            src.AsSpan((b * rows + i) * stride + offset + h * _dh, _dh).CopyTo(dst.AsSpan(i * _dh, _dh));
    }

    /// <summary>Adds a head's [rows, Dh] gradient back into a [B, rows, stride] tensor.</summary>
    private void Scatter(T[] src, int b, int h, int rows, int stride, int offset, T[] dst)
    {
        for (int i = 0; i < rows; i++)
        {
            var d = dst.AsSpan((b * rows + i) * stride + offset + h * _dh, _dh);
            TensorPrimitives.Add(d, src.AsSpan(i * _dh, _dh), d);
        }
    }
}
