using EdgeNorm.Calibration.Float.Kernels;
using EdgeNorm.Model.Ir;

namespace EdgeNorm.Calibration.Float.Ops;

/// <summary>
/// MaxPool and AveragePool over N-d spatial dims (pads, auto_pad, strides, dilations, ceil_mode, count_include_pad);
/// MaxPool also on 8/16-bit integers and with its Indices output (storage_order 0).
/// </summary>
public sealed class PoolOp(string opType) : IFloatOp
{
    public string Domain => "";
    public string OpType { get; } = opType;

    public Tensor[] Forward(OpContext context, Node node, Tensor?[] inputs)
    {
        var x = ShapeUtil.Required(inputs, 0, OpType);
        if (x.Rank < 3) throw new FloatOpException($"{OpType} needs input [N,C,spatial…], got {ShapeUtil.Format(x.Shape)}");
        bool wantIndices = node.Outputs.Count > 1 && node.Outputs[1].Length > 0;
        bool columnMajor = node.GetInt("storage_order", 0) != 0;
        if (!x.IsFloat)
        {
            if (OpType != "MaxPool") throw new FloatOpException($"{OpType} supports float32 only, got {x.DataType.Name()}");
            // 8/16-bit integers are exact in float32
            if (x.DataType is DataType.Int32 or DataType.Int64) throw new FloatOpException($"MaxPool does not support {x.DataType.Name()}");
            var asFloat = Tensor.FromFloats(x.Shape, Array.ConvertAll(x.L, v => (float)v));
            var r = Forward(context, node, [asFloat]);
            r[0] = Tensor.FromLongs(x.DataType, r[0].Shape, Array.ConvertAll(r[0].F, v => (long)v));
            return r;
        }
        var kernel = node.GetInts("kernel_shape")?.Select(v => (int)v).ToArray() ?? throw new FloatOpException($"{OpType} needs kernel_shape");
        var spatial = x.Shape[2..];
        if (kernel.Length != spatial.Length) throw new FloatOpException($"kernel_shape has {kernel.Length} dims for {spatial.Length} spatial dims");
        var g = WindowGeometry.From(node, spatial, kernel, allowCeil: true);
        bool max = OpType == "MaxPool";
        bool includePad = node.GetInt("count_include_pad", 0) != 0;
        int s = spatial.Length, planes = x.Shape[0] * x.Shape[1], inSize = ShapeUtil.Product(spatial), op = g.OutputSize, kp = g.KernelSize;
        var inStrides = ShapeUtil.Strides(spatial);
        var y = new float[(long)planes * op];
        var indices = wantIndices ? new long[(long)planes * op] : null;
        var src = x.F;
        var oIdx = new int[s];
        var kIdx = new int[s];
        for (int o = 0; o < op; o++)
        {
            // window positions for this output, shared by every plane
            var offs = new List<int>(kp);
            int padded = 0;
            Array.Clear(kIdx);
            for (int kk = 0; kk < kp; kk++)
            {
                bool inside = true, inPadded = true;
                int flat = 0;
                for (int d = 0; d < s; d++)
                {
                    int c = oIdx[d] * g.Strides[d] - g.PadBegin[d] + kIdx[d] * g.Dilations[d];
                    if (c < 0 || c >= spatial[d]) inside = false;
                    if (c < -g.PadBegin[d] || c >= spatial[d] + g.PadEnd[d]) inPadded = false;
                    flat += c * inStrides[d];
                }
                if (inside) offs.Add(flat);
                if (inPadded) padded++;
                for (int d = s - 1; d >= 0; d--)
                {
                    if (++kIdx[d] < kernel[d]) break;
                    kIdx[d] = 0;
                }
            }
            for (int p = 0; p < planes; p++)
            {
                int b = p * inSize;
                if (max)
                {
                    float m = float.NegativeInfinity;
                    int arg = offs.Count > 0 ? offs[0] : 0;
                    foreach (int f in offs)
                        if (src[b + f] > m) { m = src[b + f]; arg = f; }
                    y[(long)p * op + o] = m;
                    if (indices is not null) indices[(long)p * op + o] = (long)b + (columnMajor ? ColumnMajor(arg, spatial) : arg);
                }
                else
                {
                    float sum = 0;
                    foreach (int f in offs) sum += src[b + f];
                    int count = includePad ? padded : offs.Count;
                    y[(long)p * op + o] = count == 0 ? 0 : sum / count;
                }
            }
            for (int d = s - 1; d >= 0; d--)
            {
                if (++oIdx[d] < g.Output[d]) break;
                oIdx[d] = 0;
            }
        }
        int[] outShape = [x.Shape[0], x.Shape[1], .. g.Output];
        return indices is null ? [Tensor.FromFloats(outShape, y)] : [Tensor.FromFloats(outShape, y), Tensor.FromLongs(DataType.Int64, outShape, indices)];
    }

    /// <summary>A row-major flat index within a plane, re-expressed in column-major order (storage_order=1).</summary>
    private static long ColumnMajor(int flat, int[] dims)
    {
        long r = 0, mul = 1;
        var st = ShapeUtil.Strides(dims);
        for (int d = 0; d < dims.Length; d++)
        {
            int c = flat / st[d] % dims[d];
            r += c * mul;
            mul *= dims[d];
        }
        return r;
    }
}

/// <summary>GlobalAveragePool / GlobalMaxPool: over all spatial dims, kept as size 1.</summary>
public sealed class GlobalPoolOp(string opType) : IFloatOp
{
    public string Domain => "";
    public string OpType { get; } = opType;

    public Tensor[] Forward(OpContext context, Node node, Tensor?[] inputs)
    {
        var x = ShapeUtil.Required(inputs, 0, OpType);
        if (x.Rank < 2) throw new FloatOpException($"{OpType} needs input [N,C,…], got {ShapeUtil.Format(x.Shape)}");
        int planes = x.Shape[0] * x.Shape[1], inner = ShapeUtil.Product(x.Shape, 2);
        var y = new float[planes];
        var src = x.F;
        bool max = OpType == "GlobalMaxPool";
        for (int p = 0; p < planes; p++)
        {
            var row = src.AsSpan(p * inner, inner);
            if (max) y[p] = inner == 0 ? float.NegativeInfinity : System.Numerics.Tensors.TensorPrimitives.Max(row);
            else
            {
                double s = 0;
                foreach (float v in row) s += v;
                y[p] = (float)(s / inner);
            }
        }
        return [Tensor.FromFloats([x.Shape[0], x.Shape[1], .. Enumerable.Repeat(1, x.Rank - 2)], y)];
    }
}

/// <summary>Pad (opset 13): constant, reflect or edge; negative pads crop.</summary>
public sealed class PadOp : IFloatOp
{
    public string Domain => "";
    public string OpType => "Pad";

    public Tensor[] Forward(OpContext context, Node node, Tensor?[] inputs)
    {
        var x = ShapeUtil.Required(inputs, 0, OpType);
        var pads = ShapeUtil.Optional(inputs, 1) is { } pt ? ShapeUtil.Longs(pt, "Pad pads") : node.GetInts("pads") ?? throw new FloatOpException("Pad needs pads");
        int r = x.Rank;
        if (pads.Length != 2 * r) throw new FloatOpException($"Pad pads has {pads.Length} values, expected {2 * r}");
        string mode = node.GetString("mode") ?? "constant";
        var cv = ShapeUtil.Optional(inputs, 2);
        var shape = new int[r];
        for (int d = 0; d < r; d++)
        {
            long v = x.Shape[d] + pads[d] + pads[d + r];
            if (v < 0) throw new FloatOpException($"Pad makes dim {d} negative");
            shape[d] = (int)v;
        }
        int n = ShapeUtil.Product(shape);
        var map = new int[n];
        var st = ShapeUtil.Strides(x.Shape);
        var idx = new int[r];
        for (int o = 0; o < n; o++)
        {
            int flat = 0;
            for (int d = 0; d < r && flat >= 0; d++)
            {
                long c = idx[d] - pads[d];
                int dim = x.Shape[d];
                if (c < 0 || c >= dim)
                {
                    switch (mode)
                    {
                        case "constant": flat = -1; continue;
                        case "edge": c = Math.Clamp(c, 0, dim - 1); break;
                        case "reflect":
                            if (dim == 1) c = 0;
                            else
                            {
                                long period = 2L * (dim - 1);
                                c = ((c % period) + period) % period;
                                if (c >= dim) c = period - c;
                            }
                            break;
                        default: throw new FloatOpException($"Pad mode '{mode}' is not supported");
                    }
                }
                flat += (int)c * st[d];
            }
            map[o] = flat;
            for (int d = r - 1; d >= 0; d--)
            {
                if (++idx[d] < shape[d]) break;
                idx[d] = 0;
            }
        }
        if (x.Floats is { } f)
        {
            float value = cv is null ? 0f : cv.F[0];
            var y = new float[n];
            for (int i = 0; i < n; i++) y[i] = map[i] < 0 ? value : f[map[i]];
            return [Tensor.FromFloats(shape, y)];
        }
        long lv = cv is null ? 0 : cv.L[0];
        var yl = new long[n];
        for (int i = 0; i < n; i++) yl[i] = map[i] < 0 ? lv : x.L[map[i]];
        return [Tensor.FromLongs(x.DataType, shape, yl)];
    }
}

/// <summary>Trilu (opset 14): keeps the upper or lower triangle of the last two dims, offset by k.</summary>
public sealed class TriluOp : IFloatOp
{
    public string Domain => "";
    public string OpType => "Trilu";

    public Tensor[] Forward(OpContext context, Node node, Tensor?[] inputs)
    {
        var x = ShapeUtil.Required(inputs, 0, OpType);
        if (x.Rank < 2) throw new FloatOpException("Trilu needs rank ≥ 2");
        long k = ShapeUtil.Optional(inputs, 1) is { } kt ? ShapeUtil.Longs(kt, "Trilu k")[0] : 0;
        bool upper = node.GetInt("upper", 1) != 0;
        int rows = x.Shape[^2], cols = x.Shape[^1], mats = ShapeUtil.Product(x.Shape, 0, x.Rank - 2);
        var keep = new bool[rows * cols];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
                keep[i * cols + j] = upper ? j - i >= k : j - i <= k;
        if (x.Floats is { } f)
        {
            var y = new float[f.Length];
            for (int m = 0; m < mats; m++)
                for (int e = 0; e < keep.Length; e++) if (keep[e]) y[m * keep.Length + e] = f[m * keep.Length + e];
            return [Tensor.FromFloats(x.Shape, y)];
        }
        var l = x.L;
        var yl = new long[l.Length];
        for (int m = 0; m < mats; m++)
            for (int e = 0; e < keep.Length; e++) if (keep[e]) yl[m * keep.Length + e] = l[m * keep.Length + e];
        return [Tensor.FromLongs(x.DataType, x.Shape, yl)];
    }
}
