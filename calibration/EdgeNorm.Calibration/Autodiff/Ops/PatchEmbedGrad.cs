using System.Numerics;

namespace EdgeNorm.Calibration.Autodiff.Ops;

/// <summary>
/// edgenorm.PatchEmbed — a convolution with kernel = stride, as a matmul: patches P [B·T, C·kh·kw] (im2col through an
/// index table), Y = P·Wᵀ + b. Backward: ∂P = ∂Y·W, scattered back to the pixels (patches do not overlap); when W, b
/// are tape parameters ∂W = ∂Yᵀ·P (W's [D,C,kh,kw] is [D,K] row-major) and ∂b = Σ_rows ∂Y.
/// </summary>
internal sealed class PatchEmbedGrad<T> : GradOp<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly int _batch, _tokens, _k, _d, _sample;
    private readonly int[] _pixel;   // [T·K]: offset within one sample of patch t's element (c, i, j)

    public PatchEmbedGrad(GradNode info)
    {
        var x = info.InShape(0);
        var w = info.InShape(1);
        if (x.Length != 4 || w.Length != 4) throw info.Error("expects X [B,C,H,W] and W [D,C,kh,kw]");
        _batch = x[0];
        int c = x[1], h = x[2], wd = x[3], kh = w[2], kw = w[3];
        _d = w[0];
        int ph = h / kh, pw = wd / kw;
        _tokens = ph * pw;
        _k = c * kh * kw;
        _sample = c * h * wd;
        _pixel = new int[_tokens * _k];
        for (int py = 0; py < ph; py++)
            for (int px = 0; px < pw; px++)
                for (int ci = 0; ci < c; ci++)
                    for (int i = 0; i < kh; i++)
                        for (int j = 0; j < kw; j++)
                            _pixel[(py * pw + px) * _k + (ci * kh + i) * kw + j] = (ci * h + py * kh + i) * wd + px * kw + j;
    }

    private T[] Patches(T[] x)
    {
        var patches = new T[_batch * _tokens * _k];
        for (int n = 0; n < _batch; n++)
            for (int e = 0; e < _tokens * _k; e++) patches[n * _tokens * _k + e] = x[n * _sample + _pixel[e]];
        return patches;
    }

    public override T[][] Forward(T[]?[] inputs)
    {
        var patches = Patches(inputs[0]!);
        var y = new T[_batch * _tokens * _d];
        if (inputs.Length > 2 && inputs[2] is { } b)
            for (int r = 0; r < _batch * _tokens; r++) b.CopyTo(y, r * _d);
        Gemm.MultiplyAdd<T>(patches, false, inputs[1], true, y, _batch * _tokens, _k, _d);
        return [y];
    }

    public override void Backward(T[]?[] inputs, T[][] outputs, T[]?[] dOutputs, T[]?[] dInputs)
    {
        if (dOutputs[0] is not { } dy) return;
        if (dInputs.Length > 1 && dInputs[1] is { } dw) Gemm.MultiplyAdd<T>(dy, true, Patches(inputs[0]!), false, dw, _d, _batch * _tokens, _k);
        if (dInputs.Length > 2 && dInputs[2] is { } db) BiasGradient.Add(dy, db, _batch * _tokens, _d);
        if (dInputs[0] is not { } dx) return;
        var dp = new T[_batch * _tokens * _k];
        Gemm.MultiplyAdd<T>(dy, false, inputs[1], false, dp, _batch * _tokens, _d, _k);
        for (int n = 0; n < _batch; n++)
            for (int e = 0; e < _tokens * _k; e++) dx[n * _sample + _pixel[e]] += dp[n * _tokens * _k + e];
    }
}
