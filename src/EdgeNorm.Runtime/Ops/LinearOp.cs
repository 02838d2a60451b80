using EdgeNorm.Model.Ir;
using EdgeNorm.Runtime.Execution;
using EdgeNorm.Runtime.Kernels;
using EdgeNorm.Runtime.Kernels.Gemm;

namespace EdgeNorm.Runtime.Ops;

/// <summary>
/// QLinear: int8 rows × int8 W[N, K]ᵀ + int32 bias (scale s_x·s_w[c]) → per-channel requant to int8/int16, as one
/// GEMM over all rows on the session's kernel path and threads (Kernels/Gemm).
/// </summary>
internal sealed class LinearOp : IntegerOp
{
    private readonly GemmWeights _weights;
    private readonly bool _int16;
    private readonly int _rowsPerSample;
    public int N { get; }
    public int K { get; }

    /// <summary>The packed weight as stored in the model (a view, not a copy).</summary>
    internal ReadOnlyMemory<byte> PackedWeight => _weights.InPlaceImage;

    /// <param name="c">The node's constants: packed weight, bias, multipliers, shifts.</param>
    /// <param name="outType">int8 or int16.</param>
    /// <param name="inputSampleElements">Elements of one input sample (rows per sample = this / K; sizes the scratch).</param>
    public LinearOp(Constants c, DataType outType, int inputSampleElements)
    {
        var w = c.PackedWeightMemory(1, out int n, out int k); // read in place (mapped file or caller's image)
        N = n;
        K = k;
        _weights = new GemmWeights(w, n, k, c.Array<int>(2, DataType.Int32, n), c.Multipliers(3, 4, n));
        _rowsPerSample = Math.Max(1, inputSampleElements / k);
        _int16 = outType switch
        {
            DataType.Int16 => true,
            DataType.Int8 => false,
            _ => throw new UnsupportedModelException($"node '{c.Node.Name}': QLinear writes int8 or int16, not {outType.Name()}"),
        };
    }

    public override long ScratchBytes(int batch) => KernelSet.GemmScratchBytes(checked(batch * _rowsPerSample), K);

    public override void Execute(in OpContext ctx)
    {
        var x = ctx.Value<sbyte>(Inputs[0]);
        int rows = x.Length / K;
        Gemm(ctx, x, rows, ctx.Scratch<byte>(0, (int)KernelSet.GemmScratchBytes(rows, K)), ctx.Kernels);
    }

    /// <summary>The GEMM + requant of <paramref name="rows"/> rows of <paramref name="x"/> into this op's output (also QPatchEmbed's).</summary>
    internal void Gemm(in OpContext ctx, ReadOnlySpan<sbyte> x, int rows, Span<byte> scratch, KernelSet kernels)
    {
        if (_int16) kernels.Gemm(_weights, x, rows, ctx.Value<short>(Outputs[0]), scratch);
        else kernels.Gemm(_weights, x, rows, ctx.Value<sbyte>(Outputs[0]), scratch);
    }
}
