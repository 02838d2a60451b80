using EdgeNorm.Calibration.Float.Kernels;
using EdgeNorm.Model.Ir;

namespace EdgeNorm.Calibration.Float.Ops;

/// <summary>MatMul with numpy semantics: 1-D operands are promoted and the batch dims broadcast.</summary>
public sealed class MatMulOp : IFloatOp
{
    public string Domain => "";
    public string OpType => "MatMul";

    public Tensor[] Forward(OpContext context, Node node, Tensor?[] inputs)
    {
        var a = ShapeUtil.Required(inputs, 0, OpType);
        var b = ShapeUtil.Required(inputs, 1, OpType);
        if (!a.IsFloat || !b.IsFloat) throw new FloatOpException($"MatMul supports float32 only, got {a.DataType.Name()} and {b.DataType.Name()}");
        return [Compute(a, b)];
    }

    public static Tensor Compute(Tensor a, Tensor b)
    {
        if (a.Rank == 0 || b.Rank == 0) throw new FloatOpException("MatMul does not accept scalars");
        var ash = a.Rank == 1 ? new[] { 1, a.Shape[0] } : a.Shape;
        var bsh = b.Rank == 1 ? new[] { b.Shape[0], 1 } : b.Shape;
        int m = ash[^2], k = ash[^1], k2 = bsh[^2], n = bsh[^1];
        if (k != k2)
            throw new FloatOpException($"MatMul inner dimensions differ: {ShapeUtil.Format(a.Shape)} x {ShapeUtil.Format(b.Shape)}");
        if (b.Rank == 2 && a.Rank >= 2)
        {
            // [.., M, K] x [K, N]: one product with all leading dims folded into M
            int rows = ShapeUtil.Product(a.Shape, 0, a.Rank - 1);
            var y = new float[(long)rows * n];
            MatMulKernel.Multiply(a.F, 0, false, b.F, 0, false, y, 0, rows, k, n);
            return Tensor.FromFloats([.. a.Shape[..^1], n], y);
        }
        var aBatch = ash[..^2];
        var bBatch = bsh[..^2];
        var batch = ShapeUtil.Broadcast(aBatch, bBatch);
        int nb = ShapeUtil.Product(batch);
        var outShape = new List<int>(batch);
        if (a.Rank > 1) outShape.Add(m);
        if (b.Rank > 1) outShape.Add(n);
        var c = new float[(long)nb * m * n];
        var aIdx = BatchOffsets(aBatch, batch);
        var bIdx = BatchOffsets(bBatch, batch);
        for (int t = 0; t < nb; t++)
            MatMulKernel.Multiply(a.F, aIdx[t] * m * k, false, b.F, bIdx[t] * k * n, false, c, t * m * n, m, k, n);
        return Tensor.FromFloats(outShape.ToArray(), c);
    }

    /// <summary>For each index of the broadcast batch, the flat batch index of an operand with shape <paramref name="own"/>.</summary>
    internal static int[] BatchOffsets(int[] own, int[] batch)
    {
        int nb = ShapeUtil.Product(batch);
        var r = new int[nb];
        if (nb == 0) return r;
        var idx = new int[batch.Length];
        var st = ShapeUtil.Strides(own);
        int off = batch.Length - own.Length;
        for (int t = 0; t < nb; t++)
        {
            int o = 0;
            for (int d = 0; d < own.Length; d++)
                if (own[d] != 1) o += idx[d + off] * st[d];
            r[t] = o;
            for (int d = batch.Length - 1; d >= 0; d--)
            {
                if (++idx[d] < batch[d]) break;
                idx[d] = 0;
            }
        }
        return r;
    }
}

/// <summary>Gemm: Y = alpha·A'·B' + beta·C with optional transposes and a unidirectionally broadcast C.</summary>
public sealed class GemmOp : IFloatOp
{
    public string Domain => "";
    public string OpType => "Gemm";

    public Tensor[] Forward(OpContext context, Node node, Tensor?[] inputs)
    {
        var a = ShapeUtil.Required(inputs, 0, OpType);
        var b = ShapeUtil.Required(inputs, 1, OpType);
        var cIn = ShapeUtil.Optional(inputs, 2);
        if (a.Rank != 2 || b.Rank != 2) throw new FloatOpException($"Gemm needs 2-D operands, got {ShapeUtil.Format(a.Shape)} and {ShapeUtil.Format(b.Shape)}");
        bool ta = node.GetInt("transA", 0) != 0, tb = node.GetInt("transB", 0) != 0;
        float alpha = node.GetFloat("alpha", 1f), beta = node.GetFloat("beta", 1f);
        int m = ta ? a.Shape[1] : a.Shape[0], k = ta ? a.Shape[0] : a.Shape[1];
        int kb = tb ? b.Shape[1] : b.Shape[0], n = tb ? b.Shape[0] : b.Shape[1];
        if (k != kb) throw new FloatOpException($"Gemm inner dimensions differ: A{ShapeUtil.Format(a.Shape)} transA={(ta ? 1 : 0)}, B{ShapeUtil.Format(b.Shape)} transB={(tb ? 1 : 0)}");
        var y = new float[(long)m * n];
        MatMulKernel.Multiply(a.F, 0, ta, b.F, 0, tb, y, 0, m, k, n);
        if (alpha != 1f)
            for (int i = 0; i < y.Length; i++) y[i] *= alpha;
        if (cIn is not null && beta != 0f)
        {
            var cb = Elementwise.BroadcastTo(cIn, [m, n]).F;
            for (int i = 0; i < y.Length; i++) y[i] += beta * cb[i];
        }
        return [Tensor.FromFloats([m, n], y)];
    }
}
