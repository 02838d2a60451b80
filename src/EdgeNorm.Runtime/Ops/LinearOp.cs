using EdgeNorm.Model.Ir;
using EdgeNorm.Runtime.Execution;
using EdgeNorm.Runtime.Kernels.Reference;
using EdgeNorm.Runtime.Numerics;

namespace EdgeNorm.Runtime.Ops;

/// <summary>QLinear: int8 rows × int8 W[N, K]ᵀ + int32 bias (scale s_x·s_w[c]) → per-channel requant to int8/int16.</summary>
internal sealed class LinearOp : IntegerOp
{
    private readonly ReadOnlyMemory<byte> _w; // canonical packed image (N16×K4 panels + column sums), read in place from the model file
    private readonly int[] _bias;
    private readonly DyadicMultiplier[] _m;
    private readonly bool _int16;
    public int N { get; }
    public int K { get; }

    public LinearOp(Constants c, DataType outType)
    {
        _w = c.PackedWeightMemory(1, out int n, out int k);
        N = n;
        K = k;
        _bias = c.Array<int>(2, DataType.Int32, n);
        _m = c.Multipliers(3, 4, n);
        _int16 = outType switch
        {
            DataType.Int16 => true,
            DataType.Int8 => false,
            _ => throw new UnsupportedModelException($"node '{c.Node.Name}': QLinear writes int8 or int16, not {outType.Name()}"),
        };
    }

    public override long ScratchBytes(int batch) => 4L * N;

    public override void Execute(in OpContext ctx)
    {
        var w = _w.Span;
        var x = ctx.Value<sbyte>(Inputs[0]);
        var acc = ctx.Scratch<int>(0, N);
        int rows = x.Length / K;
        if (_int16)
        {
            var y = ctx.Value<short>(Outputs[0]);
            for (int r = 0; r < rows; r++)
            {
                GemmReference.PackedRow(x.Slice(r * K, K), w, _bias, acc);
                RequantizeReference.PerChannel(acc, y.Slice(r * N, N), _m, default);
            }
        }
        else
        {
            var y = ctx.Value<sbyte>(Outputs[0]);
            for (int r = 0; r < rows; r++)
            {
                GemmReference.PackedRow(x.Slice(r * K, K), w, _bias, acc);
                RequantizeReference.PerChannel(acc, y.Slice(r * N, N), _m, default);
            }
        }
    }

    /// <summary>The same GEMM + requant on one row held in scratch (used by QPatchEmbed).</summary>
    internal void Row(ReadOnlySpan<sbyte> x, Span<int> acc, Span<short> y16, Span<sbyte> y8)
    {
        GemmReference.PackedRow(x, _w.Span, _bias, acc);
        if (_int16) RequantizeReference.PerChannel(acc, y16, _m, default);
        else RequantizeReference.PerChannel(acc, y8, _m, default);
    }

    internal bool WritesInt16 => _int16;

    /// <summary>The packed weight bytes as the op reads them (tests: proves they are a view of the mapping).</summary>
    internal ReadOnlyMemory<byte> PackedWeight => _w;
}
