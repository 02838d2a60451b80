using EdgeNorm.Runtime.Execution;

namespace EdgeNorm.Runtime.Ops;

/// <summary>QPatchEmbed: int8 image [B, C, H, W] → patches (c, i, j) flattened → QLinear → [B, P, D].</summary>
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
        if (_c * _kh * _kw != linear.K)
            throw new UnsupportedModelException($"node '{c.Node.Name}': weight K {linear.K} ≠ C·kh·kw = {_c * _kh * _kw}");
    }

    public override long ScratchBytes(int batch) => 4L * _linear.N + _linear.K + 64;

    public override void Execute(in OpContext ctx)
    {
        var x = ctx.Value<sbyte>(Inputs[0]);
        int n = _linear.N, k = _linear.K;
        var acc = ctx.Scratch<int>(0, n);
        var patch = ctx.Scratch<sbyte>(4 * n, k);
        int ph = _h / _kh, pw = _w / _kw, per = _c * _h * _w, patches = ph * pw;
        Span<short> y16 = _linear.WritesInt16 ? ctx.Value<short>(Outputs[0]) : default;
        Span<sbyte> y8 = _linear.WritesInt16 ? default : ctx.Value<sbyte>(Outputs[0]);
        for (int b = 0; b < ctx.Batch; b++)
        {
            var img = x.Slice(b * per, per);
            for (int pi = 0; pi < ph; pi++)
                for (int pj = 0; pj < pw; pj++)
                {
                    int t = 0;
                    for (int ch = 0; ch < _c; ch++)
                        for (int i = 0; i < _kh; i++)
                            for (int j = 0; j < _kw; j++)
                                patch[t++] = img[(ch * _h + pi * _kh + i) * _w + pj * _kw + j];
                    int row = (b * patches + pi * pw + pj) * n;
                    _linear.Row(patch, acc, _linear.WritesInt16 ? y16.Slice(row, n) : default, _linear.WritesInt16 ? default : y8.Slice(row, n));
                }
        }
    }
}
