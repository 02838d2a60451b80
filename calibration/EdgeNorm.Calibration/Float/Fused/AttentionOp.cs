using System.Numerics.Tensors;
using EdgeNorm.Calibration.Float.Kernels;
using Tensor = EdgeNorm.Model.Ir.Tensor;
using EdgeNorm.Model.Ir;
using static EdgeNorm.Calibration.Float.Fused.FusedKernel;

namespace EdgeNorm.Calibration.Float.Fused;

/// <summary>
/// edgenorm.Attention — multi-head scaled dot-product attention with the head split and merge included.
/// Inputs: q [B,Sq,H·Dh], k [B,Sk,H·Dh], v [B,Sk,H·Dh] — or, with packed_qkv = 1, input 0 is qkv
/// [B,S,3·H·Dh] laid out as (3, H, Dh) on the last axis and inputs 1, 2 are omitted — then an optional
/// additive float mask broadcastable (numpy rules) to [B,H,Sq,Sk]. Attributes num_heads (H), scale.
/// Output [B,Sq,H·Dh]: out[b,i,h·Dh+d] = Σ_j softmax_j(scale·⟨q_bih, k_bjh⟩ + mask[b,h,i,j])·v[b,j,h·Dh+d].
/// Evaluated per (batch, head) as the unfused graph does: the executor's <see cref="MatMulKernel"/> for q·kᵀ
/// and p·v, the scale and mask elementwise, the Softmax op's row routine.
/// </summary>
public sealed class AttentionOp : IFloatOp
{
    public string Domain => Node.EdgeNormDomain;
    public string OpType => "Attention";

    public Tensor[] Forward(OpContext context, Node node, Tensor?[] inputs)
    {
        int heads = (int)node.GetInt("num_heads", 0);
        float scale = node.GetFloat("scale", 1f);
        bool packed = node.GetInt("packed_qkv", 0) != 0;
        if (heads <= 0) throw Error(node, "num_heads must be positive");

        var q = Input(node, inputs, 0, packed ? "qkv" : "q");
        if (q.Rank != 3) throw Error(node, $"{(packed ? "qkv" : "q")} must be [B,S,W], got {ShapeText(q.Shape)}");
        int batch = q.Shape[0], sq = q.Shape[1];
        Tensor k, v;
        int width, qStride, kStride, vStride, qOff = 0, kOff = 0, vOff = 0;
        if (packed)
        {
            if (q.Shape[2] % 3 != 0) throw Error(node, $"qkv width {q.Shape[2]} is not a multiple of 3");
            width = q.Shape[2] / 3;
            k = v = q;
            qStride = kStride = vStride = q.Shape[2];
            kOff = width;
            vOff = 2 * width;
        }
        else
        {
            k = Input(node, inputs, 1, "k");
            v = Input(node, inputs, 2, "v");
            width = q.Shape[2];
            if (k.Rank != 3 || v.Rank != 3 || k.Shape[0] != batch || v.Shape[0] != batch || k.Shape[1] != v.Shape[1]
                || k.Shape[2] != width || v.Shape[2] != width)
                throw Error(node, $"q {ShapeText(q.Shape)}, k {ShapeText(k.Shape)}, v {ShapeText(v.Shape)} do not fit together");
            qStride = kStride = vStride = width;
        }
        if (width % heads != 0) throw Error(node, $"width {width} is not a multiple of num_heads {heads}");
        int sk = k.Shape[1], dh = width / heads;
        var qf = Floats(node, q, "q");
        var kf = Floats(node, k, "k");
        var vf = Floats(node, v, "v");

        // Mask strides over (b, h, i, j), 0 where it broadcasts.
        var maskT = Optional(inputs, 3);
        float[]? mask = null;
        var ms = new long[4];
        if (maskT is not null)
        {
            mask = Floats(node, maskT, "mask");
            if (maskT.Rank > 4) throw Error(node, $"mask rank {maskT.Rank} > 4");
            int[] full = [batch, heads, sq, sk];
            long stride = 1;
            for (int a = 3, m = maskT.Rank - 1; a >= 0; a--, m--)
            {
                int dim = m >= 0 ? maskT.Shape[m] : 1;
                if (dim != 1 && dim != full[a])
                    throw Error(node, $"mask {ShapeText(maskT.Shape)} does not broadcast to [{batch},{heads},{sq},{sk}]");
                ms[a] = dim == 1 ? 0 : stride;
                stride *= dim;
            }
        }

        var y = new float[(long)batch * sq * width];
        For(batch * heads, (long)sq * sk * dh * 2, bh =>
        {
            int b = bh / heads, h = bh % heads;
            // The head's q [Sq,Dh], kᵀ [Dh,Sk] and v [Sk,Dh], contiguous, as the unfused graph has them.
            var qh = new float[sq * dh];
            var kt = new float[dh * sk];
            var vh = new float[sk * dh];
            for (int i = 0; i < sq; i++)
                Array.Copy(qf, (b * sq + i) * qStride + qOff + h * dh, qh, i * dh, dh);
            for (int j = 0; j < sk; j++)
            {
                int src = (b * sk + j) * kStride + kOff + h * dh;
                for (int d = 0; d < dh; d++) kt[d * sk + j] = kf[src + d];
                Array.Copy(vf, (b * sk + j) * vStride + vOff + h * dh, vh, j * dh, dh);
            }
            var scores = new float[sq * sk];
            MatMulKernel.Multiply(qh.AsSpan(), 0, false, kt, 0, false, scores, 0, sq, dh, sk);
            TensorPrimitives.Multiply(scores, scale, scores);
            if (mask is not null)
                for (int i = 0; i < sq; i++)
                    for (int j = 0; j < sk; j++)
                        scores[i * sk + j] += mask[b * ms[0] + h * ms[1] + i * ms[2] + j * ms[3]];
            var row = new float[sk];
            for (int i = 0; i < sq; i++)
            {
                scores.AsSpan(i * sk, sk).CopyTo(row);
                Softmax(row);
                row.CopyTo(scores.AsSpan(i * sk, sk));
            }
            var oh = new float[sq * dh];
            MatMulKernel.Multiply(scores.AsSpan(), 0, false, vh, 0, false, oh, 0, sq, sk, dh);
            for (int i = 0; i < sq; i++)
                Array.Copy(oh, i * dh, y, (b * sq + i) * width + h * dh, dh);
        });
        return [Tensor.FromFloats([batch, sq, width], y)];
    }

    /// <summary>Softmax of one row, computed as the ONNX Softmax op of the float executor does.</summary>
    private static void Softmax(Span<float> v)
    {
        float max = TensorPrimitives.Max(v);
        if (float.IsNegativeInfinity(max)) max = 0;
        TensorPrimitives.Subtract(v, max, v);
        TensorPrimitives.Exp(v, v);
        float s = TensorPrimitives.Sum(v);
        TensorPrimitives.Divide(v, s, v);
    }
}
