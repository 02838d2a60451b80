using EdgeNorm.Calibration.Float.Kernels;
using EdgeNorm.Model.Ir;

namespace EdgeNorm.Calibration.Float.Ops;

/// <summary>Conv over 1, 2 or 3 spatial dims (im2col + GEMM), with groups, pads, auto_pad, strides and dilations.</summary>
public sealed class ConvOp : IFloatOp
{
    public string Domain => "";
    public string OpType => "Conv";

    public Tensor[] Forward(OpContext context, Node node, Tensor?[] inputs)
    {
        var x = ShapeUtil.Required(inputs, 0, OpType);
        var w = ShapeUtil.Required(inputs, 1, OpType);
        var bias = ShapeUtil.Optional(inputs, 2);
        if (x.Rank < 3 || w.Rank != x.Rank)
            throw new FloatOpException($"Conv needs input [N,C,spatial…] and weight of the same rank, got {ShapeUtil.Format(x.Shape)} and {ShapeUtil.Format(w.Shape)}");
        int group = (int)node.GetInt("group", 1);
        int n = x.Shape[0], c = x.Shape[1], m = w.Shape[0], cg = w.Shape[1];
        if (group <= 0 || c != cg * group || m % group != 0)
            throw new FloatOpException($"Conv channels do not match: input {ShapeUtil.Format(x.Shape)}, weight {ShapeUtil.Format(w.Shape)}, group {group}");
        var spatial = x.Shape[2..];
        var kernel = w.Shape[2..];
        if (node.GetInts("kernel_shape") is { } ks && !ks.Select(v => (int)v).SequenceEqual(kernel))
            throw new FloatOpException($"kernel_shape [{string.Join(",", ks)}] contradicts the weight {ShapeUtil.Format(w.Shape)}");
        var g = WindowGeometry.From(node, spatial, kernel, allowCeil: false);
        int mg = m / group, kp = g.KernelSize, op = g.OutputSize, inSize = ShapeUtil.Product(spatial);
        int rows = cg * kp;
        var map = g.IndexMap();
        var cols = new float[(long)rows * op];
        var y = new float[(long)n * m * op];
        var xf = x.F;
        var wf = w.F;
        for (int b = 0; b < n; b++)
        {
            for (int gi = 0; gi < group; gi++)
            {
                for (int ci = 0; ci < cg; ci++)
                {
                    int xBase = (b * c + gi * cg + ci) * inSize;
                    for (int kk = 0; kk < kp; kk++)
                    {
                        int r = (ci * kp + kk) * op;
                        int mb = kk * op;
                        for (int o = 0; o < op; o++)
                        {
                            int idx = map[mb + o];
                            cols[r + o] = idx < 0 ? 0f : xf[xBase + idx];
                        }
                    }
                }
                MatMulKernel.Multiply(wf, gi * mg * rows, false, cols, 0, false, y, (b * m + gi * mg) * op, mg, rows, op);
            }
        }
        if (bias is not null)
        {
            var bf = bias.F;
            if (bf.Length != m) throw new FloatOpException($"Conv bias has {bf.Length} values, expected {m}");
            for (int b = 0; b < n; b++)
                for (int oc = 0; oc < m; oc++)
                {
                    var span = y.AsSpan((b * m + oc) * op, op);
                    System.Numerics.Tensors.TensorPrimitives.Add(span, bf[oc], span);
                }
        }
        return [Tensor.FromFloats([n, m, .. g.Output], y)];
    }
}
