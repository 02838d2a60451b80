using EdgeNorm.Calibration.Float.Kernels;
using EdgeNorm.Model.Ir;
using static EdgeNorm.Calibration.Float.Fused.FusedKernel;

namespace EdgeNorm.Calibration.Float.Fused;

/// <summary>
/// edgenorm.PatchEmbed(X[B,C,H,W], W[D,C,kh,kw], b[D]?) → Y[B, (H/kh)·(W/kw), D]: a convolution with
/// kernel = stride and no padding, i.e. a matmul of the flattened (c, i, j) patches with W viewed as
/// [D, C·kh·kw]. Patches in row-major order; a remainder of H or W is dropped, as Conv does. Evaluated as
/// the ONNX Conv does it (im2col, the executor's <see cref="MatMulKernel"/>, then the bias), transposed.
/// </summary>
public sealed class PatchEmbedOp : IFloatOp
{
    public string Domain => Node.EdgeNormDomain;
    public string OpType => "PatchEmbed";

    public Tensor[] Forward(OpContext context, Node node, Tensor?[] inputs)
    {
        var x = Input(node, inputs, 0, "X");
        var w = Input(node, inputs, 1, "W");
        if (x.Rank != 4 || w.Rank != 4 || x.Shape[1] != w.Shape[1])
            throw Error(node, $"expects X [B,C,H,W] and W [D,C,kh,kw] with the same C, got {ShapeText(x.Shape)} and {ShapeText(w.Shape)}");
        int b = x.Shape[0], c = x.Shape[1], h = x.Shape[2], wd = x.Shape[3];
        int d = w.Shape[0], kh = w.Shape[2], kw = w.Shape[3];
        if (node.GetInts("kernel_shape") is { } ks && (ks.Length != 2 || ks[0] != kh || ks[1] != kw))
            throw Error(node, $"kernel_shape [{string.Join(",", ks)}] does not match W {ShapeText(w.Shape)}");
        int ph = h / kh, pw = wd / kw, tokens = ph * pw, k = c * kh * kw;
        if (tokens == 0) throw Error(node, $"input {ShapeText(x.Shape)} is smaller than one {kh}x{kw} patch");
        var bias = PerChannel(node, Optional(inputs, 2), d, "bias");
        var xf = Floats(node, x, "X");
        var wf = Floats(node, w, "W");

        var y = new float[(long)b * tokens * d];
        var cols = new float[(long)k * tokens];   // [K, T]: row (c, i, j), column = patch
        var conv = new float[(long)d * tokens];   // [D, T]
        for (int n = 0; n < b; n++)
        {
            for (int ci = 0; ci < c; ci++)
                for (int i = 0; i < kh; i++)
                    for (int j = 0; j < kw; j++)
                    {
                        int row = ((ci * kh + i) * kw + j) * tokens;
                        for (int py = 0; py < ph; py++)
                            for (int px = 0; px < pw; px++)
                                cols[row + py * pw + px] = xf[((n * c + ci) * h + py * kh + i) * wd + px * kw + j];
                    }
            MatMulKernel.Multiply(wf, 0, false, cols, 0, false, conv, 0, d, k, tokens);
            int o = n * tokens * d;
            for (int ch = 0; ch < d; ch++)
            {
                float bc = bias is null ? 0f : bias[ch];
                for (int t = 0; t < tokens; t++)
                    y[o + t * d + ch] = bias is null ? conv[ch * tokens + t] : conv[ch * tokens + t] + bc;
            }
        }
        return [Tensor.FromFloats([b, tokens, d], y)];
    }
}
