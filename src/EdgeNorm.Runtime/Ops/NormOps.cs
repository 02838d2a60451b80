using EdgeNorm.Model.Ir;
using EdgeNorm.Runtime.Execution;
using EdgeNorm.Runtime.Kernels.Reference;
using EdgeNorm.Runtime.Kernels.Vector;
using EdgeNorm.Runtime.Numerics;
using EdgeNorm.Runtime.Platform;

namespace EdgeNorm.Runtime.Ops;

/// <summary>
/// QNorm: integer LayerNorm (kind "layernorm", exact isqrt) or L1Norm (kind "l1norm", one division per row) of
/// an int16 row (docs/numerics.md §8), then γ, β as a per-channel requant with a sign (γ_c &lt; 0) to int8 or int16.
/// Inputs: x, multipliers, shifts, signs (int32 −1/0/1), offsets (int32, round(β_c/s_out)).
/// </summary>
internal sealed class NormOp : IntegerOp
{
    private readonly bool _layerNorm;
    private readonly int _overflowShift;
    private readonly long _epsilon; // ε in spread units (attribute epsilon_q, numerics.md §8.4–8.5); 0 when absent
    private readonly DyadicMultiplier[] _m;
    private readonly int[] _sign, _offset;
    private readonly int _c;

    private readonly bool _int16;

    public NormOp(Constants c, int channels, DataType outType)
    {
        _c = channels;
        _int16 = outType switch
        {
            DataType.Int16 => true,
            DataType.Int8 => false,
            _ => throw new UnsupportedModelException($"node '{c.Node.Name}': QNorm writes int8 or int16, not {outType.Name()}"),
        };
        string kind = c.String("kind");
        _layerNorm = kind switch
        {
            "layernorm" => true,
            "l1norm" => false,
            _ => throw new UnsupportedModelException($"node '{c.Node.Name}': unknown QNorm kind '{kind}'"),
        };
        _overflowShift = _layerNorm ? checked((int)c.Int("overflow_shift")) : 0;
        _epsilon = c.IntOrDefault("epsilon_q", 0);
        if (_epsilon < 0 || _epsilon > IntNorm.MaxEpsilon)
            throw new UnsupportedModelException($"node '{c.Node.Name}': epsilon_q {_epsilon} is outside [0, 2^40]");
        _m = c.Multipliers(1, 2, channels);
        _sign = c.Array<int>(3, DataType.Int32, channels);
        _offset = c.Array<int>(4, DataType.Int32, channels);
        _requant = new ChannelRequant(_m, _sign, _offset);
    }

    private readonly ChannelRequant _requant; // γ, β with signs, for the vector path

    public override long ScratchBytes(int batch) => 4L * _c;

    public override void Execute(in OpContext ctx)
    {
        var x = ctx.Value<short>(Inputs[0]);
        Span<sbyte> y8 = _int16 ? default : ctx.Value<sbyte>(Outputs[0]);
        Span<short> y16 = _int16 ? ctx.Value<short>(Outputs[0]) : default;
        var t = ctx.Scratch<int>(0, _c);
        if (ctx.Path != KernelPath.Scalar)
        {
            var w = VectorWidths.For(ctx.Path);
            for (int r = 0; r < x.Length; r += _c)
            {
                var row = x.Slice(r, _c);
                if (_layerNorm) NormVector.LayerNormRow(row, t, _overflowShift, _epsilon, w);
                else NormVector.L1NormRow(row, t, _epsilon, w);
                if (_int16) RequantizeVector.PerChannel(t, y16.Slice(r, _c), _requant, w);
                else RequantizeVector.PerChannel(t, y8.Slice(r, _c), _requant, w);
            }
            return;
        }
        for (int r = 0; r < x.Length; r += _c)
        {
            var row = x.Slice(r, _c);
            if (_layerNorm) NormalizationReference.LayerNormRow(row, t, _overflowShift, _epsilon);
            else NormalizationReference.L1NormRow(row, t, _epsilon);
            for (int i = 0; i < _c; i++) t[i] *= _sign[i];
            if (_int16) RequantizeReference.PerChannel(t, y16.Slice(r, _c), _m, _offset);
            else RequantizeReference.PerChannel(t, y8.Slice(r, _c), _m, _offset);
        }
    }
}

/// <summary>
/// QChannelAffine: y_c = sat8(Scale(sign_c·x_c; m_c) + offset_c) on int16 channels-last input — a folded RepBN /
/// PRepBN (a_c·x + b_c) as a per-channel requant. Inputs: x, multipliers, shifts, signs, offsets.
/// </summary>
internal sealed class ChannelAffineOp : IntegerOp
{
    private readonly DyadicMultiplier[] _m;
    private readonly int[] _sign, _offset;
    private readonly int _c;

    public ChannelAffineOp(Constants c, int channels)
    {
        _c = channels;
        _m = c.Multipliers(1, 2, channels);
        _sign = c.Array<int>(3, DataType.Int32, channels);
        _offset = c.Array<int>(4, DataType.Int32, channels);
        _requant = new ChannelRequant(_m, _sign, _offset);
    }

    private readonly ChannelRequant _requant;

    public override void Execute(in OpContext ctx)
    {
        var x = ctx.Value<short>(Inputs[0]);
        var y = ctx.Value<sbyte>(Outputs[0]);
        if (ctx.Path != KernelPath.Scalar)
        {
            RequantizeVector.PerChannel(x, y, _requant, VectorWidths.For(ctx.Path));
            return;
        }
        for (int r = 0; r < x.Length; r += _c)
            for (int i = 0; i < _c; i++)
                y[r + i] = Requantizer.ToInt8(x[r + i] * _sign[i], _m[i], _offset[i]);
    }
}
