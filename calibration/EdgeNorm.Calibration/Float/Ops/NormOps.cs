using System.Numerics.Tensors;
using Tensor = EdgeNorm.Model.Ir.Tensor;
using EdgeNorm.Calibration.Float.Kernels;
using EdgeNorm.Model.Ir;

namespace EdgeNorm.Calibration.Float.Ops;

/// <summary>
/// Softmax and LogSoftmax. Opset ≥ 13: along one axis (default −1). Opset &lt; 13: the input is coerced to 2-D at
/// 'axis' (default 1) and normalised over the flattened tail. Max-subtracted, summed in float32 as ORT does.
/// </summary>
public sealed class SoftmaxOp(string opType = "Softmax") : IFloatOp
{
    public string Domain => "";
    public string OpType { get; } = opType;

    public Tensor[] Forward(OpContext context, Node node, Tensor?[] inputs)
    {
        var x = ShapeUtil.Required(inputs, 0, OpType);
        bool log = OpType == "LogSoftmax";
        int rank = Math.Max(x.Rank, 1);
        int outer, n, inner;
        if (context.Opset >= 13)
        {
            int axis = ShapeUtil.Axis(node.GetInt("axis", -1), rank, $"{OpType} axis");
            var shape = x.Rank == 0 ? [1] : x.Shape;
            outer = ShapeUtil.Product(shape, 0, axis);
            n = shape[axis];
            inner = ShapeUtil.Product(shape, axis + 1);
        }
        else
        {
            long a = node.GetInt("axis", 1);
            int axis = (int)(a < 0 ? a + rank : a);
            if (axis < 0 || axis > rank) throw new FloatOpException($"{OpType} axis {a} is out of range for rank {rank}");
            outer = ShapeUtil.Product(x.Shape, 0, axis);
            n = ShapeUtil.Product(x.Shape, axis);
            inner = 1;
        }
        var src = x.F;
        var o = new float[src.Length];
        var buf = new float[n];
        for (int b = 0; b < outer; b++)
            for (int i = 0; i < inner; i++)
            {
                int start = b * n * inner + i;
                if (inner == 1) src.AsSpan(start, n).CopyTo(buf);
                else for (int k = 0; k < n; k++) buf[k] = src[start + k * inner];
                Row(buf, log);
                if (inner == 1) buf.AsSpan().CopyTo(o.AsSpan(start, n));
                else for (int k = 0; k < n; k++) o[start + k * inner] = buf[k];
            }
        return [Tensor.FromFloats(x.Shape, o)];
    }

    private static void Row(Span<float> v, bool log)
    {
        if (v.Length == 0) return;
        float max = TensorPrimitives.Max(v);
        if (float.IsNegativeInfinity(max)) max = 0;
        TensorPrimitives.Subtract(v, max, v);
        if (log)
        {
            float sum = 0;
            foreach (float t in v) sum += MathF.Exp(t);
            TensorPrimitives.Subtract(v, MathF.Log(sum), v);
            return;
        }
        TensorPrimitives.Exp(v, v);
        float s = TensorPrimitives.Sum(v);
        TensorPrimitives.Divide(v, s, v);
    }
}

/// <summary>
/// LayerNormalization (opset 17): normalises over dims [axis, rank); Scale and B broadcast over those dims.
/// Mean and variance are accumulated in double. Optional outputs Mean and InvStdDev.
/// </summary>
public sealed class LayerNormalizationOp : IFloatOp
{
    public string Domain => "";
    public string OpType => "LayerNormalization";

    public Tensor[] Forward(OpContext context, Node node, Tensor?[] inputs)
    {
        var x = ShapeUtil.Required(inputs, 0, OpType);
        var scale = ShapeUtil.Required(inputs, 1, OpType);
        var bias = ShapeUtil.Optional(inputs, 2);
        int axis = ShapeUtil.Axis(node.GetInt("axis", -1), x.Rank, "LayerNormalization axis");
        float eps = node.GetFloat("epsilon", 1e-5f);
        int outer = ShapeUtil.Product(x.Shape, 0, axis), n = ShapeUtil.Product(x.Shape, axis);
        var normShape = x.Shape[axis..];
        var s = Elementwise.BroadcastTo(scale, normShape).F;
        var bb = bias is null ? null : Elementwise.BroadcastTo(bias, normShape).F;
        var src = x.F;
        var y = new float[src.Length];
        var means = new float[outer];
        var invs = new float[outer];
        for (int r = 0; r < outer; r++)
        {
            var row = src.AsSpan(r * n, n);
            double sum = 0;
            foreach (float v in row) sum += v;
            double mean = sum / n;
            double sq = 0;
            foreach (float v in row) sq += (v - mean) * (v - mean);
            double inv = 1.0 / Math.Sqrt(sq / n + eps);
            means[r] = (float)mean;
            invs[r] = (float)inv;
            var dst = y.AsSpan(r * n, n);
            for (int i = 0; i < n; i++)
                dst[i] = (float)((row[i] - mean) * inv) * s[i] + (bb is null ? 0f : bb[i]);
        }
        var statShape = x.Shape[..axis].Concat(Enumerable.Repeat(1, x.Rank - axis)).ToArray();
        return [Tensor.FromFloats(x.Shape, y), Tensor.FromFloats(statShape, means), Tensor.FromFloats(statShape, invs)];
    }
}

/// <summary>BatchNormalization in inference mode (running statistics); training_mode=1 is refused.</summary>
public sealed class BatchNormalizationOp : IFloatOp
{
    public string Domain => "";
    public string OpType => "BatchNormalization";

    public Tensor[] Forward(OpContext context, Node node, Tensor?[] inputs)
    {
        var x = ShapeUtil.Required(inputs, 0, OpType);
        var scale = ShapeUtil.Required(inputs, 1, OpType).F;
        var b = ShapeUtil.Required(inputs, 2, OpType).F;
        var mean = ShapeUtil.Required(inputs, 3, OpType).F;
        var var = ShapeUtil.Required(inputs, 4, OpType).F;
        if (node.GetInt("training_mode", 0) != 0)
            throw new FloatOpException("BatchNormalization with training_mode=1 is not supported (export the model in eval mode)");
        float eps = node.GetFloat("epsilon", 1e-5f);
        if (x.Rank < 2) throw new FloatOpException($"BatchNormalization needs input [N,C,…], got {ShapeUtil.Format(x.Shape)}");
        int n = x.Shape[0], c = x.Shape[1], inner = ShapeUtil.Product(x.Shape, 2);
        if (scale.Length != c || b.Length != c || mean.Length != c || var.Length != c)
            throw new FloatOpException($"BatchNormalization parameters must have {c} values");
        var src = x.F;
        var y = new float[src.Length];
        for (int ch = 0; ch < c; ch++)
        {
            float inv = 1f / MathF.Sqrt(var[ch] + eps);
            float sc = scale[ch] * inv;
            float sh = b[ch] - mean[ch] * sc;
            for (int bi = 0; bi < n; bi++)
            {
                int off = (bi * c + ch) * inner;
                for (int i = 0; i < inner; i++) y[off + i] = src[off + i] * sc + sh;
            }
        }
        return [Tensor.FromFloats(x.Shape, y)];
    }
}

/// <summary>InstanceNormalization: per (n, c) over the spatial dims, statistics in double.</summary>
public sealed class InstanceNormalizationOp : IFloatOp
{
    public string Domain => "";
    public string OpType => "InstanceNormalization";

    public Tensor[] Forward(OpContext context, Node node, Tensor?[] inputs)
    {
        var x = ShapeUtil.Required(inputs, 0, OpType);
        var scale = ShapeUtil.Required(inputs, 1, OpType).F;
        var b = ShapeUtil.Required(inputs, 2, OpType).F;
        float eps = node.GetFloat("epsilon", 1e-5f);
        if (x.Rank < 3) throw new FloatOpException($"InstanceNormalization needs input [N,C,spatial…], got {ShapeUtil.Format(x.Shape)}");
        int n = x.Shape[0], c = x.Shape[1], inner = ShapeUtil.Product(x.Shape, 2);
        var src = x.F;
        var y = new float[src.Length];
        for (int bi = 0; bi < n; bi++)
            for (int ch = 0; ch < c; ch++)
            {
                int off = (bi * c + ch) * inner;
                double sum = 0, sq = 0;
                for (int i = 0; i < inner; i++) sum += src[off + i];
                double mean = sum / inner;
                for (int i = 0; i < inner; i++) sq += (src[off + i] - mean) * (src[off + i] - mean);
                double inv = 1.0 / Math.Sqrt(sq / inner + eps);
                for (int i = 0; i < inner; i++) y[off + i] = (float)((src[off + i] - mean) * inv * scale[ch] + b[ch]);
            }
        return [Tensor.FromFloats(x.Shape, y)];
    }
}
