using EdgeNorm.Calibration.Float.Kernels;
using EdgeNorm.Model.Ir;

namespace EdgeNorm.Calibration.Float.Ops;

/// <summary>
/// The Reduce* ops. Axes: an attribute up to opset 17, except ReduceSum whose axes became an optional input
/// in opset 13 (with noop_with_empty_axes). Float sums are accumulated in double.
/// </summary>
public sealed class ReduceOp(string opType) : IFloatOp
{
    public string Domain => "";
    public string OpType { get; } = opType;

    public Tensor[] Forward(OpContext context, Node node, Tensor?[] inputs)
    {
        var x = ShapeUtil.Required(inputs, 0, OpType);
        long[]? axes = node.GetInts("axes");
        if (ShapeUtil.Optional(inputs, 1) is { } axT) axes = ShapeUtil.Longs(axT, $"{OpType} axes");
        bool keep = node.GetInt("keepdims", 1) != 0;
        bool noop = node.GetInt("noop_with_empty_axes", 0) != 0;
        if ((axes is null || axes.Length == 0) && noop) return [x];
        var mask = AxisMask(axes, x.Rank);
        var outShape = OutputShape(x.Shape, mask, keep);
        var outDims = x.Shape.Select((d, i) => mask[i] ? 1 : d).ToArray();
        var outStrides = ShapeUtil.Strides(outDims);
        for (int i = 0; i < mask.Length; i++) if (mask[i]) outStrides[i] = 0;
        int m = ShapeUtil.Product(outDims);
        long count = 1;
        for (int i = 0; i < mask.Length; i++) if (mask[i]) count *= x.Shape[i];

        var acc = new double[m];
        int code = OpType switch
        {
            "ReduceMax" => 1, "ReduceMin" => 2, "ReduceProd" => 3, "ReduceL1" => 4,
            "ReduceL2" or "ReduceSumSquare" => 5, "ReduceLogSumExp" => 6, _ => 0,
        };
        if (code == 1) Array.Fill(acc, double.NegativeInfinity);
        if (code == 2) Array.Fill(acc, double.PositiveInfinity);
        if (code == 3) Array.Fill(acc, 1.0);
        var f = x.Floats;
        var l = x.Longs;
        int n = (int)x.Length;
        // Fast path: the reduced axes are the trailing ones, so each output reduces one contiguous row.
        int firstReduced = Array.IndexOf(mask, true);
        bool trailing = firstReduced >= 0 && mask.Skip(firstReduced).All(b => b);
        if (trailing && m > 0)
        {
            int row = n / m;
            for (int o = 0; o < m; o++)
            {
                double a = acc[o];
                for (int i = o * row, e = i + row; i < e; i++) a = Step(code, a, f is not null ? f[i] : l![i]);
                acc[o] = a;
            }
        }
        else
        {
            var idx = new int[x.Rank];
            int o = 0;
            for (int i = 0; i < n; i++)
            {
                acc[o] = Step(code, acc[o], f is not null ? f[i] : l![i]);
                for (int d = x.Rank - 1; d >= 0; d--)
                {
                    o += outStrides[d];
                    if (++idx[d] < x.Shape[d]) break;
                    o -= outStrides[d] * x.Shape[d];
                    idx[d] = 0;
                }
            }
        }
        bool isFloat = x.IsFloat;
        for (int i = 0; i < m; i++)
        {
            acc[i] = OpType switch
            {
                "ReduceMean" => acc[i] / count,
                "ReduceL2" => Math.Sqrt(acc[i]),
                "ReduceLogSum" => Math.Log(acc[i]),
                "ReduceLogSumExp" => Math.Log(acc[i]),
                _ => acc[i],
            };
        }
        if (isFloat) return [Tensor.FromFloats(outShape, Array.ConvertAll(acc, v => (float)v))];
        if (OpType == "ReduceMean") return [Tensor.FromLongs(x.DataType, outShape, Array.ConvertAll(acc, v => (long)v))];
        return [Tensor.FromLongs(x.DataType, outShape, Array.ConvertAll(acc, v => ShapeUtil.Wrap(x.DataType, (long)v)))];
    }

    private static double Step(int code, double a, double v) => code switch
    {
        1 => v > a || double.IsNaN(v) ? v : a,
        2 => v < a || double.IsNaN(v) ? v : a,
        3 => a * v,
        4 => a + Math.Abs(v),
        5 => a + v * v,
        6 => a + Math.Exp(v),
        _ => a + v,
    };

    public static bool[] AxisMask(long[]? axes, int rank)
    {
        var mask = new bool[rank];
        if (axes is null || axes.Length == 0) { Array.Fill(mask, true); return mask; }
        foreach (long a in axes) mask[ShapeUtil.Axis(a, rank, "reduction axis")] = true;
        return mask;
    }

    public static int[] OutputShape(int[] shape, bool[] mask, bool keep)
    {
        var r = new List<int>();
        for (int i = 0; i < shape.Length; i++)
        {
            if (!mask[i]) r.Add(shape[i]);
            else if (keep) r.Add(1);
        }
        return r.ToArray();
    }
}

/// <summary>ArgMax / ArgMin along one axis (keepdims, select_last_index) → int64.</summary>
public sealed class ArgOp(string opType) : IFloatOp
{
    public string Domain => "";
    public string OpType { get; } = opType;

    public Tensor[] Forward(OpContext context, Node node, Tensor?[] inputs)
    {
        var x = ShapeUtil.Required(inputs, 0, OpType);
        int axis = ShapeUtil.Axis(node.GetInt("axis", 0), x.Rank, $"{OpType} axis");
        bool keep = node.GetInt("keepdims", 1) != 0, last = node.GetInt("select_last_index", 0) != 0;
        bool max = OpType == "ArgMax";
        int outer = ShapeUtil.Product(x.Shape, 0, axis), n = x.Shape[axis], inner = ShapeUtil.Product(x.Shape, axis + 1);
        var o = new long[outer * inner];
        for (int b = 0; b < outer; b++)
            for (int i = 0; i < inner; i++)
            {
                int best = 0;
                double bv = Get(x, b * n * inner + i);
                for (int k = 1; k < n; k++)
                {
                    double v = Get(x, (b * n + k) * inner + i);
                    bool better = max ? (last ? v >= bv : v > bv) : (last ? v <= bv : v < bv);
                    if (better) { best = k; bv = v; }
                }
                o[b * inner + i] = best;
            }
        var mask = new bool[x.Rank];
        mask[axis] = true;
        return [Tensor.FromLongs(DataType.Int64, ReduceOp.OutputShape(x.Shape, mask, keep), o)];
    }

    private static double Get(Tensor t, int i) => t.Floats is { } f ? f[i] : t.L[i];
}

/// <summary>CumSum along an axis given as a tensor; exclusive and reverse attributes.</summary>
public sealed class CumSumOp : IFloatOp
{
    public string Domain => "";
    public string OpType => "CumSum";

    public Tensor[] Forward(OpContext context, Node node, Tensor?[] inputs)
    {
        var x = ShapeUtil.Required(inputs, 0, OpType);
        int axis = ShapeUtil.Axis(ShapeUtil.Longs(ShapeUtil.Required(inputs, 1, OpType), "CumSum axis")[0], x.Rank, "CumSum axis");
        bool exclusive = node.GetInt("exclusive", 0) != 0, reverse = node.GetInt("reverse", 0) != 0;
        int outer = ShapeUtil.Product(x.Shape, 0, axis), n = x.Shape[axis], inner = ShapeUtil.Product(x.Shape, axis + 1);
        var f = x.Floats;
        var l = x.Longs;
        var of = f is null ? null : new float[f.Length];
        var ol = l is null ? null : new long[l.Length];
        for (int b = 0; b < outer; b++)
            for (int i = 0; i < inner; i++)
            {
                float sf = 0;
                long sl = 0;
                for (int t = 0; t < n; t++)
                {
                    int k = reverse ? n - 1 - t : t;
                    int p = (b * n + k) * inner + i;
                    if (f is not null)
                    {
                        if (exclusive) { of![p] = sf; sf += f[p]; }
                        else { sf += f[p]; of![p] = sf; }
                    }
                    else
                    {
                        if (exclusive) { ol![p] = sl; sl += l![p]; }
                        else { sl += l![p]; ol![p] = sl; }
                    }
                }
            }
        return [of is not null ? Tensor.FromFloats(x.Shape, of) : Tensor.FromLongs(x.DataType, x.Shape, ol!)];
    }
}
