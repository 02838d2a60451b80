using EdgeNorm.Calibration.Float.Kernels;
using EdgeNorm.Model.Ir;

namespace EdgeNorm.Calibration.Float.Ops;

public sealed class TransposeOp : IFloatOp
{
    public string Domain => "";
    public string OpType => "Transpose";

    public Tensor[] Forward(OpContext context, Node node, Tensor?[] inputs)
    {
        var x = ShapeUtil.Required(inputs, 0, OpType);
        var perm = Perm(node.GetInts("perm"), x.Rank);
        return [Transpose(x, perm)];
    }

    public static int[] Perm(long[]? perm, int rank)
    {
        if (perm is null) return Enumerable.Range(0, rank).Reverse().ToArray();
        if (perm.Length != rank) throw new FloatOpException($"Transpose perm has {perm.Length} entries for a rank-{rank} input");
        var p = new int[rank];
        var seen = new bool[rank];
        for (int i = 0; i < rank; i++)
        {
            int a = ShapeUtil.Axis(perm[i], rank, "Transpose perm entry");
            if (seen[a]) throw new FloatOpException($"Transpose perm [{string.Join(",", perm)}] is not a permutation");
            seen[a] = true;
            p[i] = a;
        }
        return p;
    }

    public static Tensor Transpose(Tensor x, int[] perm)
    {
        int rank = x.Rank;
        var outShape = new int[rank];
        for (int i = 0; i < rank; i++) outShape[i] = x.Shape[perm[i]];
        var inStrides = ShapeUtil.Strides(x.Shape);
        var st = new int[rank];
        for (int i = 0; i < rank; i++) st[i] = inStrides[perm[i]];
        if (x.Floats is { } f)
        {
            var o = new float[f.Length];
            Copy(f, o, outShape, st);
            return Tensor.FromFloats(outShape, o);
        }
        var l = new long[x.L.Length];
        Copy(x.L, l, outShape, st);
        return Tensor.FromLongs(x.DataType, outShape, l);
    }

    /// <summary>Writes dst in order, reading src with the given (permuted) strides; the innermost dim is a strided loop.</summary>
    private static void Copy<T>(T[] src, T[] dst, int[] shape, int[] st)
    {
        int n = dst.Length;
        if (n == 0) return;
        int rank = shape.Length;
        if (rank == 0) { dst[0] = src[0]; return; }
        int inner = shape[rank - 1], sIn = st[rank - 1];
        var idx = new int[rank];
        int off = 0;
        for (int o = 0; o < n; o += inner)
        {
            if (sIn == 1) Array.Copy(src, off, dst, o, inner);
            else for (int j = 0, p = off; j < inner; j++, p += sIn) dst[o + j] = src[p];
            for (int d = rank - 2; d >= 0; d--)
            {
                off += st[d];
                if (++idx[d] < shape[d]) break;
                off -= st[d] * shape[d];
                idx[d] = 0;
            }
        }
    }
}

public sealed class ConcatOp : IFloatOp
{
    public string Domain => "";
    public string OpType => "Concat";

    public Tensor[] Forward(OpContext context, Node node, Tensor?[] inputs)
    {
        var list = inputs.Where(t => t is not null).Cast<Tensor>().ToList();
        if (list.Count == 0) throw new FloatOpException("Concat needs at least one input");
        var first = list[0];
        int rank = first.Rank;
        int axis = ShapeUtil.Axis(node.GetInt("axis", 0), rank, "Concat axis");
        var shape = (int[])first.Shape.Clone();
        shape[axis] = 0;
        foreach (var t in list)
        {
            if (t.Rank != rank || t.IsFloat != first.IsFloat)
                throw new FloatOpException($"Concat inputs differ in rank or type: {first} and {t}");
            for (int d = 0; d < rank; d++)
                if (d != axis && t.Shape[d] != first.Shape[d])
                    throw new FloatOpException($"Concat inputs {ShapeUtil.Format(first.Shape)} and {ShapeUtil.Format(t.Shape)} differ outside axis {axis}");
            shape[axis] += t.Shape[axis];
        }
        int outer = ShapeUtil.Product(shape, 0, axis), inner = ShapeUtil.Product(shape, axis + 1);
        int rowOut = shape[axis] * inner;
        if (first.IsFloat)
        {
            var o = new float[Tensor.ElementCount(shape)];
            int at = 0;
            foreach (var t in list)
            {
                int row = t.Shape[axis] * inner;
                for (int b = 0; b < outer; b++) Array.Copy(t.F, b * row, o, b * rowOut + at, row);
                at += row;
            }
            return [Tensor.FromFloats(shape, o)];
        }
        else
        {
            var o = new long[Tensor.ElementCount(shape)];
            int at = 0;
            foreach (var t in list)
            {
                int row = t.Shape[axis] * inner;
                for (int b = 0; b < outer; b++) Array.Copy(t.L, b * row, o, b * rowOut + at, row);
                at += row;
            }
            return [Tensor.FromLongs(first.DataType, shape, o)];
        }
    }
}

/// <summary>Split (opset 13: sizes as an optional input; older: attribute). Without sizes, equal parts.</summary>
public sealed class SplitOp : IFloatOp
{
    public string Domain => "";
    public string OpType => "Split";

    public Tensor[] Forward(OpContext context, Node node, Tensor?[] inputs)
    {
        var x = ShapeUtil.Required(inputs, 0, OpType);
        int axis = ShapeUtil.Axis(node.GetInt("axis", 0), x.Rank, "Split axis");
        var sizes = Sizes(node, ShapeUtil.Optional(inputs, 1) is { } s ? ShapeUtil.Longs(s, "Split sizes") : null, x.Shape[axis]);
        var outs = new Tensor[sizes.Length];
        int outer = ShapeUtil.Product(x.Shape, 0, axis), inner = ShapeUtil.Product(x.Shape, axis + 1);
        int rowIn = x.Shape[axis] * inner;
        int at = 0;
        for (int i = 0; i < sizes.Length; i++)
        {
            var shape = (int[])x.Shape.Clone();
            shape[axis] = sizes[i];
            int row = sizes[i] * inner;
            if (x.Floats is { } f)
            {
                var o = new float[outer * row];
                for (int b = 0; b < outer; b++) Array.Copy(f, b * rowIn + at, o, b * row, row);
                outs[i] = Tensor.FromFloats(shape, o);
            }
            else
            {
                var o = new long[outer * row];
                for (int b = 0; b < outer; b++) Array.Copy(x.L, b * rowIn + at, o, b * row, row);
                outs[i] = Tensor.FromLongs(x.DataType, shape, o);
            }
            at += row;
        }
        return outs;
    }

    public static int[] Sizes(Node node, long[]? sizes, int dim)
    {
        sizes ??= node.GetInts("split");
        int n = node.Outputs.Count;
        if (sizes is null)
        {
            if (n == 0 || dim % n != 0) throw new FloatOpException($"Split of a dim of size {dim} into {n} equal parts is not possible");
            return Enumerable.Repeat(dim / n, n).ToArray();
        }
        if (sizes.Length != n) throw new FloatOpException($"Split has {sizes.Length} sizes for {n} outputs");
        if (sizes.Sum() != dim || sizes.Any(v => v < 0)) throw new FloatOpException($"Split sizes [{string.Join(",", sizes)}] do not add up to {dim}");
        return sizes.Select(v => (int)v).ToArray();
    }
}

/// <summary>Slice (opset 13): starts/ends/axes/steps inputs, negative indices, clamping, negative steps.</summary>
public sealed class SliceOp : IFloatOp
{
    public string Domain => "";
    public string OpType => "Slice";

    public Tensor[] Forward(OpContext context, Node node, Tensor?[] inputs)
    {
        var x = ShapeUtil.Required(inputs, 0, OpType);
        var starts = ShapeUtil.Longs(ShapeUtil.Required(inputs, 1, OpType), "Slice starts");
        var ends = ShapeUtil.Longs(ShapeUtil.Required(inputs, 2, OpType), "Slice ends");
        var axes = ShapeUtil.Optional(inputs, 3) is { } a ? ShapeUtil.Longs(a, "Slice axes") : null;
        var steps = ShapeUtil.Optional(inputs, 4) is { } s ? ShapeUtil.Longs(s, "Slice steps") : null;
        var (begin, step, shape) = Plan(x.Shape, starts, ends, axes, steps);
        int rank = x.Rank;
        var inStrides = ShapeUtil.Strides(x.Shape);
        int n = ShapeUtil.Product(shape);
        var map = new int[n];
        if (n > 0)
        {
            var idx = new int[rank];
            for (int o = 0; o < n; o++)
            {
                int off = 0;
                for (int d = 0; d < rank; d++) off += (begin[d] + idx[d] * step[d]) * inStrides[d];
                map[o] = off;
                for (int d = rank - 1; d >= 0; d--)
                {
                    if (++idx[d] < shape[d]) break;
                    idx[d] = 0;
                }
            }
        }
        return [ShapeUtil.Gather(x, shape, map)];
    }

    /// <summary>Per dim: first index, step and output size.</summary>
    public static (int[] Begin, int[] Step, int[] Shape) Plan(int[] dims, long[] starts, long[] ends, long[]? axes, long[]? steps)
    {
        int rank = dims.Length;
        if (ends.Length != starts.Length) throw new FloatOpException("Slice starts and ends differ in length");
        axes ??= Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
        steps ??= Enumerable.Repeat(1L, starts.Length).ToArray();
        if (axes.Length != starts.Length || steps.Length != starts.Length) throw new FloatOpException("Slice axes/steps differ in length from starts");
        var begin = new int[rank];
        var step = Enumerable.Repeat(1, rank).ToArray();
        var shape = (int[])dims.Clone();
        var seen = new bool[rank];
        for (int i = 0; i < starts.Length; i++)
        {
            int ax = ShapeUtil.Axis(axes[i], rank, "Slice axis");
            if (seen[ax]) throw new FloatOpException($"Slice axis {axes[i]} is repeated");
            seen[ax] = true;
            long d = dims[ax], st = steps[i];
            if (st == 0) throw new FloatOpException("Slice step 0");
            long s = starts[i], e = ends[i];
            if (s < 0) s += d;
            if (e < 0) e += d;
            long count;
            if (st > 0)
            {
                s = Math.Clamp(s, 0, d);
                e = Math.Clamp(e, 0, d);
                count = e > s ? (e - s + st - 1) / st : 0;
            }
            else
            {
                s = Math.Clamp(s, -1, d - 1);
                e = Math.Clamp(e, -1, d - 1);
                count = s > e ? (s - e + (-st) - 1) / (-st) : 0;
            }
            begin[ax] = (int)Math.Max(s, 0);
            step[ax] = (int)Math.Clamp(st, int.MinValue, int.MaxValue);
            shape[ax] = (int)count;
        }
        return (begin, step, shape);
    }
}

/// <summary>Gather along an axis with int32/int64 indices (negative indices count from the end).</summary>
public sealed class GatherOp : IFloatOp
{
    public string Domain => "";
    public string OpType => "Gather";

    public Tensor[] Forward(OpContext context, Node node, Tensor?[] inputs)
    {
        var x = ShapeUtil.Required(inputs, 0, OpType);
        var ind = ShapeUtil.Required(inputs, 1, OpType);
        if (x.Rank == 0) throw new FloatOpException("Gather needs data of rank ≥ 1");
        int axis = ShapeUtil.Axis(node.GetInt("axis", 0), x.Rank, "Gather axis");
        var idx = ShapeUtil.Longs(ind, "Gather indices");
        int d = x.Shape[axis];
        int outer = ShapeUtil.Product(x.Shape, 0, axis), inner = ShapeUtil.Product(x.Shape, axis + 1);
        var shape = x.Shape[..axis].Concat(ind.Shape).Concat(x.Shape[(axis + 1)..]).ToArray();
        var map = new int[(long)outer * idx.Length * inner];
        int p = 0;
        for (int b = 0; b < outer; b++)
            foreach (long i0 in idx)
            {
                long i = i0 < 0 ? i0 + d : i0;
                if (i < 0 || i >= d) throw new FloatOpException($"Gather index {i0} is out of range for a dim of size {d}");
                int src = (int)((b * d + i) * inner);
                for (int j = 0; j < inner; j++) map[p++] = src + j;
            }
        return [ShapeUtil.Gather(x, shape, map)];
    }
}

/// <summary>Tile: repeats the input along every axis.</summary>
public sealed class TileOp : IFloatOp
{
    public string Domain => "";
    public string OpType => "Tile";

    public Tensor[] Forward(OpContext context, Node node, Tensor?[] inputs)
    {
        var x = ShapeUtil.Required(inputs, 0, OpType);
        var rep = ShapeUtil.Longs(ShapeUtil.Required(inputs, 1, OpType), "Tile repeats");
        if (rep.Length != x.Rank) throw new FloatOpException($"Tile repeats has {rep.Length} entries for a rank-{x.Rank} input");
        var shape = new int[x.Rank];
        for (int i = 0; i < x.Rank; i++)
        {
            if (rep[i] < 0) throw new FloatOpException($"Tile repeat {rep[i]} is negative");
            shape[i] = checked((int)(x.Shape[i] * rep[i]));
        }
        int n = ShapeUtil.Product(shape);
        var map = new int[n];
        var st = ShapeUtil.Strides(x.Shape);
        var idx = new int[x.Rank];
        for (int o = 0; o < n; o++)
        {
            int off = 0;
            for (int d = 0; d < x.Rank; d++) off += idx[d] % x.Shape[d] * st[d];
            map[o] = off;
            for (int d = x.Rank - 1; d >= 0; d--)
            {
                if (++idx[d] < shape[d]) break;
                idx[d] = 0;
            }
        }
        return [ShapeUtil.Gather(x, shape, map)];
    }
}
