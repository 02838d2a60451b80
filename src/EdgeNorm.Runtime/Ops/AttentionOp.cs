using EdgeNorm.Runtime.Execution;
using EdgeNorm.Runtime.Kernels.Reference;
using EdgeNorm.Runtime.Kernels.Vector;
using EdgeNorm.Runtime.Numerics;
using EdgeNorm.Runtime.Platform;

namespace EdgeNorm.Runtime.Ops;

/// <summary>
/// QAttention on a packed int8 qkv [B, S, 3·H·Dh] (one scale for q, k, v): per head, int32 scores q·kᵀ →
/// requant to int32 logits (attribute logit_multiplier, folds scale and s_qkv²) → I-BERT i-exp (attribute exp =
/// [X0, Bq, Cq, m, k], n = 30) → 4-bit log2-family codes (softmax "lis" | "logsqrt2") → attention × V by shifts →
/// optional renormalisation (renormalize 0/1) → int8 output [B, S, H·Dh] (out_multiplier; log√2 also
/// out_multiplier_odd = out·√2).
/// </summary>
internal sealed class AttentionOp : IntegerOp
{
    private readonly int _heads, _dh, _s;
    private readonly bool _lis, _renormalize;
    private readonly bool _linear; // softmax "linear": uint8 probabilities (2^-8), attention × V as int8×uint8 (numerics.md §6.5)
    private readonly DyadicMultiplier _logit, _out, _outOdd;
    private readonly IBertExpParameters _exp;

    private readonly bool _packed, _masked;

    public AttentionOp(Constants c, int tokens, int width, bool packed, bool masked)
    {
        _heads = checked((int)c.Int("num_heads"));
        _packed = packed;
        _masked = masked;
        int parts = packed ? 3 : 1;
        if (_heads <= 0 || width % (parts * _heads) != 0)
            throw new UnsupportedModelException($"node '{c.Node.Name}': q width {width} is not {parts}·{_heads}·Dh");
        _dh = width / (parts * _heads);
        _s = tokens;
        _linear = c.String("softmax") == "linear";
        _lis = c.String("softmax") switch
        {
            "lis" => true,
            "logsqrt2" or "linear" => false,
            var s => throw new UnsupportedModelException($"node '{c.Node.Name}': softmax '{s}' is not supported (lis, logsqrt2, linear)"),
        };
        _renormalize = c.Int("renormalize") != 0;
        _logit = c.Multiplier("logit_multiplier");
        _out = c.Multiplier("out_multiplier");
        _outOdd = _lis || _linear ? _out : c.Multiplier("out_multiplier_odd");
        var e = c.Ints("exp");
        if (e.Count != 5) throw new UnsupportedModelException($"node '{c.Node.Name}': exp must be [X0, Bq, Cq, m, k]");
        try
        {
            _exp = new IBertExpParameters(checked((int)e[0]), checked((int)e[1]), checked((int)e[2]), new DyadicMultiplier(checked((int)e[3]), checked((int)e[4])));
        }
        catch (ArgumentOutOfRangeException ex)
        {
            throw new UnsupportedModelException($"node '{c.Node.Name}': invalid exp parameters: {ex.Message}");
        }
    }

    // logits, e (int32 × S each), acc, odd (int32 × Dh each), V (S·Dh bytes), codes (S bytes)
    private long ReferenceScratchBytes => 4L * (2 * _s + 2 * _dh) + _s * _dh + 2 * _s + 64;

    // The vector path: logits, e (int32 × S), acc, odd (int32 × Dh), codes, mask (S bytes each, 4-aligned), the query
    // row and the head's K as int16, the head's V as int16 pairs (int32 × ⌈S/2⌉·Dh).
    private long VectorScratchBytes => 4L * (2 * _s + 2 * _dh) + 2 * Align4(_s) + Align4(2 * _dh) + Align4(2L * _s * _dh) + 4L * ((_s + 1) / 2) * _dh + VnniScratchBytes;

    // AVX-VNNI scores: the head's keys as bytes, their 128·Σk corrections, the biased query.
    private long VnniScratchBytes => Align4((long)_s * _dh) + 4L * _s + Align4(_dh);

    private static long Align4(long bytes) => (bytes + 3) & ~3L;

    public override long ScratchBytes(int batch) => Math.Max(ReferenceScratchBytes, VectorScratchBytes);

    public override void Execute(in OpContext ctx)
    {
        if (ctx.Path == KernelPath.Scalar || _linear) ExecuteReference(ctx);
        else ExecuteVector(ctx, VectorWidths.For(ctx.Path));
    }

    private void ExecuteReference(in OpContext ctx)
    {
        int s = _s, dh = _dh, hd = _heads * dh;
        int width = _packed ? 3 * hd : hd;
        var qAll = ctx.Value<sbyte>(Inputs[0]);
        var kAll = _packed ? qAll : ctx.Value<sbyte>(Inputs[1]);
        var vAll = _packed ? qAll : ctx.Value<sbyte>(Inputs[2]);
        int kOff = _packed ? hd : 0, vOff = _packed ? 2 * hd : 0;
        Span<long> maskAll = _masked ? ctx.Value<long>(Inputs[3]) : default;
        var y = ctx.Value<sbyte>(Outputs[0]);
        int o = 0;
        var logits = ctx.Scratch<int>(o, s); o += 4 * s;
        var e = ctx.Scratch<int>(o, s); o += 4 * s;
        var acc = ctx.Scratch<int>(o, dh); o += 4 * dh;
        var odd = ctx.Scratch<int>(o, dh); o += 4 * dh;
        var v = ctx.Scratch<sbyte>(o, s * dh); o += s * dh;
        var codes = ctx.Scratch<byte>(o, s); o += s;
        var mask = _masked ? ctx.Scratch<byte>(o, s) : default;
        for (int b = 0; b < ctx.Batch; b++)
        {
            var xq = qAll.Slice(b * s * width, s * width);
            var xk = kAll.Slice(b * s * width, s * width);
            var xv = vAll.Slice(b * s * width, s * width);
            if (_masked)
                for (int j = 0; j < s; j++) mask[j] = maskAll[b * s + j] != 0 ? (byte)1 : (byte)0;
            for (int h = 0; h < _heads; h++)
            {
                for (int j = 0; j < s; j++) xv.Slice(j * width + vOff + h * dh, dh).CopyTo(v.Slice(j * dh, dh));
                for (int i = 0; i < s; i++)
                {
                    var q = xq.Slice(i * width + h * dh, dh);
                    for (int j = 0; j < s; j++)
                    {
                        var k = xk.Slice(j * width + kOff + h * dh, dh);
                        int dot = 0;
                        for (int d = 0; d < dh; d++) dot += q[d] * k[d];
                        logits[j] = Requantizer.ToInt32(dot, _logit);
                    }
                    SoftmaxReference.IBertExpRow(logits, mask, _exp, e);
                    var dst = y.Slice((b * s + i) * hd + h * dh, dh);
                    if (_linear)
                    {
                        SoftmaxReference.NormalizeLinear(e, codes);
                        AttentionReference.LinearWeightedSum(codes, v, acc);
                        for (int d = 0; d < dh; d++) dst[d] = Requantizer.ToInt8(acc[d], _out);
                    }
                    else if (_lis)
                    {
                        SoftmaxReference.LisCodes(e, codes);
                        AttentionReference.LisWeightedSum(codes, v, acc);
                        if (_renormalize) AttentionReference.Renormalize(acc, Log2Codes.DequantizedSumLis(codes));
                        for (int d = 0; d < dh; d++) dst[d] = Requantizer.ToInt8(acc[d], _out);
                    }
                    else
                    {
                        SoftmaxReference.LogSqrt2Codes(e, codes);
                        AttentionReference.LogSqrt2WeightedSums(codes, v, acc, odd);
                        if (_renormalize)
                        {
                            int sum = Log2Codes.DequantizedSumLogSqrt2(codes);
                            AttentionReference.Renormalize(acc, sum);
                            AttentionReference.Renormalize(odd, sum);
                        }
                        for (int d = 0; d < dh; d++) dst[d] = Saturate.ToInt8(Requantizer.AddScaled(acc[d], _out, odd[d], _outOdd));
                    }
                }
            }
        }
    }

    /// <summary>
    /// The same bytes through Kernels/Vector: per head, K widened to int16 and V packed as int16 pairs once; per query
    /// row, vector scores, i-exp, codes, × V and the output requant. The linear softmax runs the reference.
    /// </summary>
    private void ExecuteVector(in OpContext ctx, VectorWidth w)
    {
        int s = _s, dh = _dh, hd = _heads * dh;
        int width = _packed ? 3 * hd : hd;
        var qAll = ctx.Value<sbyte>(Inputs[0]);
        var kAll = _packed ? qAll : ctx.Value<sbyte>(Inputs[1]);
        var vAll = _packed ? qAll : ctx.Value<sbyte>(Inputs[2]);
        int kOff = _packed ? hd : 0, vOff = _packed ? 2 * hd : 0;
        Span<long> maskAll = _masked ? ctx.Value<long>(Inputs[3]) : default;
        var y = ctx.Value<sbyte>(Outputs[0]);
        int o = 0;
        var logits = ctx.Scratch<int>(o, s); o += 4 * s;
        var e = ctx.Scratch<int>(o, s); o += 4 * s;
        var acc = ctx.Scratch<int>(o, dh); o += 4 * dh;
        var odd = ctx.Scratch<int>(o, dh); o += 4 * dh;
        var codes = ctx.Scratch<byte>(o, s); o += (int)Align4(s);
        var mask = _masked ? ctx.Scratch<byte>(o, s) : default; o += (int)Align4(s);
        var q16 = ctx.Scratch<short>(o, dh); o += (int)Align4(2 * dh);
        var k16 = ctx.Scratch<short>(o, s * dh); o += (int)Align4(2L * s * dh);
        var v2 = ctx.Scratch<int>(o, (s + 1) / 2 * dh); o += 4 * ((s + 1) / 2) * dh;
        bool vnni = ctx.Path == KernelPath.AvxVnni && ScoresVnni.IsSupported && ScoresVnni.Fits(dh);
        var k8 = vnni ? ctx.Scratch<sbyte>(o, s * dh) : default; o += (int)Align4((long)s * dh);
        var corrections = vnni ? ctx.Scratch<int>(o, s) : default; o += 4 * s;
        var q8 = vnni ? ctx.Scratch<byte>(o, dh) : default;
        for (int b = 0; b < ctx.Batch; b++)
        {
            var xq = qAll.Slice(b * s * width, s * width);
            var xk = kAll.Slice(b * s * width, s * width);
            var xv = vAll.Slice(b * s * width, s * width);
            if (_masked)
                for (int j = 0; j < s; j++) mask[j] = maskAll[b * s + j] != 0 ? (byte)1 : (byte)0;
            for (int h = 0; h < _heads; h++)
            {
                if (vnni) ScoresVnni.PrepareKeys(xk, width, kOff + h * dh, s, dh, k8, corrections);
                else AttentionVector.Widen(xk, width, kOff + h * dh, s, dh, k16);
                AttentionVector.PackValuePairs(xv, width, vOff + h * dh, s, dh, v2);
                for (int i = 0; i < s; i++)
                {
                    if (vnni)
                    {
                        ScoresVnni.BiasQuery(xq.Slice(i * width + h * dh, dh), q8);
                        ScoresVnni.Scores(q8, k8, corrections, _logit, logits);
                    }
                    else
                    {
                        AttentionVector.Widen(xq.Slice(i * width), width, h * dh, 1, dh, q16);
                        AttentionVector.Scores(q16, k16, _logit, logits, w);
                    }
                    SoftmaxVector.IBertExpRow(logits, mask, _exp, e, w);
                    var dst = y.Slice((b * s + i) * hd + h * dh, dh);
                    if (_lis)
                    {
                        SoftmaxVector.LisCodes(e, codes, w);
                        AttentionVector.LisWeightedSum(codes, v2, acc, w);
                        if (_renormalize) AttentionVector.Renormalize(acc, Log2Codes.DequantizedSumLis(codes), w);
                        RequantizeVector.PerTensor(acc, dst, _out, w);
                    }
                    else
                    {
                        SoftmaxVector.LogSqrt2Codes(e, codes, w);
                        AttentionVector.LogSqrt2WeightedSums(codes, v2, acc, odd, w);
                        if (_renormalize)
                        {
                            int sum = Log2Codes.DequantizedSumLogSqrt2(codes);
                            AttentionVector.Renormalize(acc, sum, w);
                            AttentionVector.Renormalize(odd, sum, w);
                        }
                        RequantizeVector.AddScaled(acc, _out, odd, _outOdd, dst, w);
                    }
                }
            }
        }
    }
}
