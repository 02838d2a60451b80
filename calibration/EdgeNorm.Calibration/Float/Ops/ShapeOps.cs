using EdgeNorm.Calibration.Float.Kernels;
using EdgeNorm.Model.Ir;

namespace EdgeNorm.Calibration.Float.Ops;

/// <summary>Reshape (opset 13/14): 0 copies the input dim (unless allowzero=1), one −1 is inferred.</summary>
public sealed class ReshapeOp : IFloatOp
{
    public string Domain => "";
    public string OpType => "Reshape";

    public Tensor[] Forward(OpContext context, Node node, Tensor?[] inputs)
    {
        var x = ShapeUtil.Required(inputs, 0, OpType);
        var spec = ShapeUtil.Longs(ShapeUtil.Required(inputs, 1, OpType), "Reshape shape");
        return [ShapeUtil.Reshaped(x, OutputShape(x.Shape, spec, node.GetInt("allowzero", 0) != 0))];
    }

    public static int[] OutputShape(int[] input, long[] spec, bool allowZero)
    {
        var r = new int[spec.Length];
        int infer = -1;
        long known = 1;
        for (int i = 0; i < spec.Length; i++)
        {
            long v = spec[i];
            if (v == -1)
            {
                if (infer >= 0) throw new FloatOpException($"Reshape shape [{string.Join(",", spec)}] has more than one -1");
                infer = i;
                continue;
            }
            if (v == 0 && !allowZero)
            {
                if (i >= input.Length) throw new FloatOpException($"Reshape shape [{string.Join(",", spec)}] copies dim {i} of a rank-{input.Length} input");
                v = input[i];
            }
            if (v < 0 || v > int.MaxValue) throw new FloatOpException($"Reshape shape [{string.Join(",", spec)}] has an invalid entry {spec[i]}");
            r[i] = (int)v;
            known *= v;
        }
        long total = Tensor.ElementCount(input);
        if (infer >= 0)
        {
            if (known == 0 || total % known != 0)
                throw new FloatOpException($"cannot reshape {ShapeUtil.Format(input)} into [{string.Join(",", spec)}]");
            r[infer] = (int)(total / known);
        }
        else if (known != total)
            throw new FloatOpException($"cannot reshape {ShapeUtil.Format(input)} ({total} elements) into [{string.Join(",", spec)}]");
        return r;
    }
}

public sealed class FlattenOp : IFloatOp
{
    public string Domain => "";
    public string OpType => "Flatten";

    public Tensor[] Forward(OpContext context, Node node, Tensor?[] inputs)
    {
        var x = ShapeUtil.Required(inputs, 0, OpType);
        long axis = node.GetInt("axis", 1);
        int a = axis < 0 ? (int)axis + x.Rank : (int)axis;
        if (a < 0 || a > x.Rank) throw new FloatOpException($"Flatten axis {axis} is out of range for rank {x.Rank}");
        return [ShapeUtil.Reshaped(x, [ShapeUtil.Product(x.Shape, 0, a), ShapeUtil.Product(x.Shape, a)])];
    }
}

/// <summary>Squeeze (opset 13: axes as an optional input; older opsets: attribute).</summary>
public sealed class SqueezeOp : IFloatOp
{
    public string Domain => "";
    public string OpType => "Squeeze";

    public Tensor[] Forward(OpContext context, Node node, Tensor?[] inputs)
    {
        var x = ShapeUtil.Required(inputs, 0, OpType);
        var axes = ShapeUtil.Optional(inputs, 1) is { } t ? ShapeUtil.Longs(t, "Squeeze axes") : node.GetInts("axes");
        return [ShapeUtil.Reshaped(x, OutputShape(x.Shape, axes))];
    }

    public static int[] OutputShape(int[] shape, long[]? axes)
    {
        var drop = new bool[shape.Length];
        if (axes is null)
        {
            for (int i = 0; i < shape.Length; i++) drop[i] = shape[i] == 1;
        }
        else
        {
            foreach (long a in axes)
            {
                int ax = ShapeUtil.Axis(a, shape.Length, "Squeeze axis");
                if (shape[ax] != 1) throw new FloatOpException($"Squeeze axis {a} has size {shape[ax]}, not 1 ({ShapeUtil.Format(shape)})");
                drop[ax] = true;
            }
        }
        return shape.Where((_, i) => !drop[i]).ToArray();
    }
}

/// <summary>Unsqueeze (opset 13: axes as an input; older opsets: attribute).</summary>
public sealed class UnsqueezeOp : IFloatOp
{
    public string Domain => "";
    public string OpType => "Unsqueeze";

    public Tensor[] Forward(OpContext context, Node node, Tensor?[] inputs)
    {
        var x = ShapeUtil.Required(inputs, 0, OpType);
        var axes = ShapeUtil.Optional(inputs, 1) is { } t ? ShapeUtil.Longs(t, "Unsqueeze axes") : node.GetInts("axes")
            ?? throw new FloatOpException("Unsqueeze needs axes");
        return [ShapeUtil.Reshaped(x, OutputShape(x.Shape, axes))];
    }

    public static int[] OutputShape(int[] shape, long[] axes)
    {
        int rank = shape.Length + axes.Length;
        var ins = new bool[rank];
        foreach (long a in axes)
        {
            int ax = ShapeUtil.Axis(a, rank, "Unsqueeze axis");
            if (ins[ax]) throw new FloatOpException($"Unsqueeze axis {a} is repeated");
            ins[ax] = true;
        }
        var r = new int[rank];
        int k = 0;
        for (int i = 0; i < rank; i++) r[i] = ins[i] ? 1 : shape[k++];
        return r;
    }
}

/// <summary>Shape (opset 15: optional start/end, clamped).</summary>
public sealed class ShapeOp : IFloatOp
{
    public string Domain => "";
    public string OpType => "Shape";

    public Tensor[] Forward(OpContext context, Node node, Tensor?[] inputs)
    {
        var x = ShapeUtil.Required(inputs, 0, OpType);
        var (s, e) = Range(node, x.Rank);
        var dims = new long[Math.Max(0, e - s)];
        for (int i = 0; i < dims.Length; i++) dims[i] = x.Shape[s + i];
        return [Tensor.FromLongs(DataType.Int64, [dims.Length], dims)];
    }

    /// <summary>The [start, end) range of dims Shape returns for a tensor of <paramref name="rank"/>.</summary>
    public static (int Start, int End) Range(Node node, int rank)
    {
        long s = node.GetInt("start", 0), e = node.GetInt("end", rank);
        if (s < 0) s += rank;
        if (e < 0) e += rank;
        s = Math.Clamp(s, 0, rank);
        e = Math.Clamp(e, 0, rank);
        return ((int)s, (int)e);
    }
}

/// <summary>Size: the number of elements, as an int64 scalar.</summary>
public sealed class SizeOp : IFloatOp
{
    public string Domain => "";
    public string OpType => "Size";

    public Tensor[] Forward(OpContext context, Node node, Tensor?[] inputs) =>
        [Tensor.FromLongs(DataType.Int64, [], [ShapeUtil.Required(inputs, 0, OpType).Length])];
}
