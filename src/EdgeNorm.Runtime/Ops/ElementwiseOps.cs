using EdgeNorm.Model.Ir;
using EdgeNorm.Runtime.Execution;
using EdgeNorm.Runtime.Kernels.Reference;
using EdgeNorm.Runtime.Kernels.Vector;
using EdgeNorm.Runtime.Numerics;
using EdgeNorm.Runtime.Platform;

namespace EdgeNorm.Runtime.Ops;

/// <summary>QAdd: int16 a, b → sat16(Scale(a; m_a) + Scale(b; m_b)).</summary>
internal sealed class AddOp(Constants c) : IntegerOp
{
    private readonly DyadicMultiplier _ma = c.Multiplier("multiplier_a"), _mb = c.Multiplier("multiplier_b");

    public override void Execute(in OpContext ctx)
    {
        if (ctx.Path == KernelPath.Scalar)
            RequantizeReference.ResidualAdd(ctx.Value<short>(Inputs[0]), _ma, ctx.Value<short>(Inputs[1]), _mb, ctx.Value<short>(Outputs[0]));
        else
            AddVector.ResidualAdd(ctx.Value<short>(Inputs[0]), _ma, ctx.Value<short>(Inputs[1]), _mb, ctx.Value<short>(Outputs[0]), VectorWidths.For(ctx.Path));
    }
}

/// <summary>QAddConst: int16 a + a stored int16 constant of one sample, broadcast over the batch.</summary>
internal sealed class AddConstantOp : IntegerOp
{
    private readonly DyadicMultiplier _ma, _mb;
    private readonly short[] _b;

    public AddConstantOp(Constants c, int sampleElements)
    {
        _ma = c.Multiplier("multiplier_a");
        _mb = c.Multiplier("multiplier_b");
        _b = c.Array<short>(1, DataType.Int16, sampleElements);
    }

    public override void Execute(in OpContext ctx)
    {
        var a = ctx.Value<short>(Inputs[0]);
        var y = ctx.Value<short>(Outputs[0]);
        int n = _b.Length;
        for (int b = 0; b < ctx.Batch; b++)
            if (ctx.Path == KernelPath.Scalar) RequantizeReference.ResidualAdd(a.Slice(b * n, n), _ma, _b, _mb, y.Slice(b * n, n));
            else AddVector.ResidualAdd(a.Slice(b * n, n), _ma, _b, _mb, y.Slice(b * n, n), VectorWidths.For(ctx.Path));
    }
}

/// <summary>QLookup: int8 → int8 through an exact 256-entry table.</summary>
internal sealed class LookupOp(Constants c) : IntegerOp
{
    private readonly sbyte[] _table = c.Array<sbyte>(1, DataType.Int8, 256);

    public override void Execute(in OpContext ctx)
    {
        if (ctx.Path == KernelPath.Scalar) LookupTableReference.Apply(ctx.Value<sbyte>(Inputs[0]), _table, ctx.Value<sbyte>(Outputs[0]));
        else LookupVector.Apply(ctx.Value<sbyte>(Inputs[0]), _table, ctx.Value<sbyte>(Outputs[0]), VectorWidths.For(ctx.Path));
    }
}

/// <summary>QPrependToken: [B, S, D] → [B, S+1, D] with a stored row first (any element type, bytes copied).</summary>
internal sealed class PrependTokenOp : IntegerOp
{
    private readonly byte[] _token;
    private readonly int _sampleBytes;

    public PrependTokenOp(Constants c, DataType dtype, int inputSampleBytes)
    {
        var t = c.Tensor(1);
        if (t.DType != dtype) throw new UnsupportedModelException($"node '{c.Node.Name}': the token must be {dtype.Name()}");
        _token = c.Bytes(1);
        _sampleBytes = inputSampleBytes;
    }

    public override void Execute(in OpContext ctx)
    {
        var x = ctx.Value<byte>(Inputs[0]);
        var y = ctx.Value<byte>(Outputs[0]);
        int outSample = _sampleBytes + _token.Length;
        for (int b = 0; b < ctx.Batch; b++)
        {
            _token.CopyTo(y.Slice(b * outSample));
            x.Slice(b * _sampleBytes, _sampleBytes).CopyTo(y.Slice(b * outSample + _token.Length));
        }
    }
}

/// <summary>QSelectToken: [B, S, D] → [B, D], token <c>index</c> of each sample (bytes copied).</summary>
internal sealed class SelectTokenOp(Constants c, int tokens, int rowBytes) : IntegerOp
{
    private readonly int _index = c.Int("index") is long i && i >= 0 && i < tokens ? (int)i
        : throw new UnsupportedModelException($"node '{c.Node.Name}': token index out of range [0, {tokens})");

    public override void Execute(in OpContext ctx)
    {
        var x = ctx.Value<byte>(Inputs[0]);
        var y = ctx.Value<byte>(Outputs[0]);
        for (int b = 0; b < ctx.Batch; b++)
            x.Slice((b * tokens + _index) * rowBytes, rowBytes).CopyTo(y.Slice(b * rowBytes, rowBytes));
    }
}

/// <summary>QRequant: int16 → int8 with one dyadic multiplier (attribute multiplier).</summary>
internal sealed class RequantOp(Constants c) : IntegerOp
{
    private readonly DyadicMultiplier _m = c.Multiplier("multiplier");

    public override void Execute(in OpContext ctx)
    {
        var x = ctx.Value<short>(Inputs[0]);
        var y = ctx.Value<sbyte>(Outputs[0]);
        if (ctx.Path != KernelPath.Scalar)
        {
            RequantizeVector.PerTensor(x, y, _m, VectorWidths.For(ctx.Path));
            return;
        }
        for (int i = 0; i < x.Length; i++) y[i] = Requantizer.ToInt8(x[i], _m);
    }
}

/// <summary>QEmbedding: int64 ids → rows of a stored int16 table [V, D]; an id outside [−V, V) is an input error.</summary>
internal sealed class EmbeddingOp : IntegerOp
{
    private readonly short[] _table;
    private readonly int _v, _d;

    public EmbeddingOp(Constants c)
    {
        var t = c.Tensor(1);
        if (t.Shape.Count != 2) throw new UnsupportedModelException($"node '{c.Node.Name}': the embedding table must be [V, D]");
        (_v, _d) = (checked((int)t.Shape[0]), checked((int)t.Shape[1]));
        _table = c.Array<short>(1, DataType.Int16, (long)_v * _d);
    }

    public override void Execute(in OpContext ctx)
    {
        var ids = ctx.Value<long>(Inputs[0]);
        var y = ctx.Value<short>(Outputs[0]);
        for (int i = 0; i < ids.Length; i++)
        {
            long id = ids[i] < 0 ? ids[i] + _v : ids[i];
            if ((ulong)id >= (ulong)_v) throw new InputShapeException($"token id {ids[i]} is outside [−{_v}, {_v})");
            _table.AsSpan((int)id * _d, _d).CopyTo(y.Slice(i * _d, _d));
        }
    }
}
