using EdgeNorm.Runtime.Execution;
using EdgeNorm.Runtime.Kernels;

namespace EdgeNorm.Runtime.Ops;

/// <summary>
/// QPatchEmbed: int8 image [B, C, H, W] → patches (c, i, j) flattened (im2col into scratch) → one QLinear GEMM over
/// all B·P patch rows → [B, P, D].
/// </summary>
internal sealed class PatchEmbedOp : IntegerOp
{
    private readonly LinearOp _linear;
    private readonly int _c, _h, _w, _kh, _kw;

    public PatchEmbedOp(Constants c, int[] inputSampleShape, LinearOp linear)
    {
        _linear = linear;
        var ks = c.Ints("kernel_shape");
        if (ks.Count != 2 || inputSampleShape.Length != 3)
            throw new UnsupportedModelException($"node '{c.Node.Name}': QPatchEmbed needs a 2-D kernel and a [C, H, W] input");
        (_c, _h, _w) = (inputSampleShape[0], inputSampleShape[1], inputSampleShape[2]);
        (_kh, _kw) = ((int)ks[0], (int)ks[1]);
        if (_kh <= 0 || _kw <= 0 || _c * _kh * _kw != linear.K)
            throw new UnsupportedModelException($"node '{c.Node.Name}': weight K {linear.K} ≠ C·kh·kw = {_c * _kh * _kw}");
    }

    private int Patches => _h / _kh * (_w / _kw);

    /// <summary>im2col rows (64-aligned), then the GEMM's scratch.</summary>
    private static long ColumnBytes(int rows, int k) => ((long)rows * k + 63) & ~63L;

    public override long ScratchBytes(int batch)
    {
        int rows = checked(batch * Patches);
        return ColumnBytes(rows, _linear.K) + KernelSet.GemmScratchBytes(rows, _linear.K);
    }

    public override void Execute(in OpContext ctx)
    {
        var x = ctx.Value<sbyte>(Inputs[0]);
        int k = _linear.K, ph = _h / _kh, pw = _w / _kw, per = _c * _h * _w, patches = ph * pw, rows = ctx.Batch * patches;
        int columnBytes = (int)ColumnBytes(rows, k);
        var cols = ctx.Scratch<sbyte>(0, rows * k);
        for (int b = 0; b < ctx.Batch; b++)
        {
            var img = x.Slice(b * per, per);
            for (int pi = 0; pi < ph; pi++)
                for (int pj = 0; pj < pw; pj++)
                {
                    var patch = cols.Slice((b * patches + pi * pw + pj) * k, k);
                    int t = 0;
                    for (int ch = 0; ch < _c; ch++)
                        for (int i = 0; i < _kh; i++)
                        {
                            img.Slice((ch * _h + pi * _kh + i) * _w + pj * _kw, _kw).CopyTo(patch.Slice(t, _kw));
                            t += _kw;
                        }
                }
        }
        var gemmScratch = ctx.Scratch<byte>(columnBytes, (int)KernelSet.GemmScratchBytes(rows, k));
        _linear.Gemm(ctx, cols, rows, gemmScratch, ctx.Kernels);
    }
}
