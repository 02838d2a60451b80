using EdgeNorm.Runtime.Execution;
using EdgeNorm.Runtime.Kernels.Gemm;
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
    private readonly AttentionSpec _spec;

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
        _spec = new AttentionSpec(_heads, _dh, _s, _lis, _renormalize, _logit, _out, _outOdd, _exp);
    }

    // logits, e (int32 × S each), acc, odd (int32 × Dh each), V (S·Dh bytes), codes (S bytes)
    private long ReferenceScratchBytes => 4L * (2 * _s + 2 * _dh) + _s * _dh + 2 * _s + 64;

    // The vector path: the mask (S bytes), then per head its keys as GEMM panels with their start values and its V as
    // int16, then one part's row scratch for rows too long for a worker's stack (AttentionRows.SharedScratch).
    private long VectorScratchBytes => Align4(_s) + _heads * ((long)_spec.KeyPanelBytes + 4L * _spec.KeyInitCount + Align4(2L * _s * _dh))
        + _spec.RowScratchBytes;

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
    /// The same bytes through Kernels/Vector: per sample, every head's keys are packed as GEMM panels (Q·Kᵀ runs on the
    /// session's int8 micro-kernel) and its V widened to int16 once on the calling thread, then the query rows — scores,
    /// i-exp, codes, × V, output requant — run on the session's threads as <see cref="AttentionRows"/> (a fixed
    /// partition of (head, row block) units: the same bytes for any thread count). The linear softmax runs the reference.
    /// </summary>
    private unsafe void ExecuteVector(in OpContext ctx, VectorWidth w)
    {
        int s = _s, dh = _dh, hd = _heads * dh;
        int width = _packed ? 3 * hd : hd;
        var qAll = ctx.Value<sbyte>(Inputs[0]);
        var kAll = _packed ? qAll : ctx.Value<sbyte>(Inputs[1]);
        var vAll = _packed ? qAll : ctx.Value<sbyte>(Inputs[2]);
        int kOff = _packed ? hd : 0, vOff = _packed ? 2 * hd : 0;
        Span<long> maskAll = _masked ? ctx.Value<long>(Inputs[3]) : default;
        var y = ctx.Value<sbyte>(Outputs[0]);
        var kernels = ctx.Kernels;
        int o = 0, panelBytes = _spec.KeyPanelBytes, initCount = _spec.KeyInitCount;
        var mask = ctx.Scratch<byte>(o, s); o += (int)Align4(s);
        var panels = ctx.Scratch<byte>(o, _heads * panelBytes); o += _heads * panelBytes;
        var init = ctx.Scratch<int>(o, _heads * initCount); o += 4 * _heads * initCount;
        var v16 = ctx.Scratch<short>(o, _heads * s * dh); o += _heads * (int)Align4(2L * s * dh);
        var shared = ctx.Scratch<byte>(o, _spec.RowScratchBytes);
        var rows = kernels.AttentionRows;
        for (int b = 0; b < ctx.Batch; b++)
        {
            var xq = qAll.Slice(b * s * width, s * width);
            var xk = kAll.Slice(b * s * width, s * width);
            var xv = vAll.Slice(b * s * width, s * width);
            if (_masked)
                for (int j = 0; j < s; j++) mask[j] = maskAll[b * s + j] != 0 ? (byte)1 : (byte)0;
            fixed (sbyte* pq = xq)
            fixed (sbyte* pk = xk)
            fixed (sbyte* py = y.Slice(b * s * hd, s * hd))
            fixed (byte* pm = mask)
            fixed (byte* pp = panels)
            fixed (int* pi = init)
            fixed (short* pv = v16)
            fixed (byte* ps = shared)
            {
                for (int h = 0; h < _heads; h++)
                {
                    PanelPacker.Pack(pk + kOff + h * dh, width, s, dh, kernels.GemmKernel, pp + (long)h * panelBytes, pi + (long)h * initCount);
                    AttentionVector.Widen(xv, width, vOff + h * dh, s, dh, v16.Slice(h * s * dh, s * dh));
                }
                // The pins hold until every part is done: WorkerPool.Run returns only then.
                rows.Spec = _spec;
                rows.Width = w;
                rows.Kernel = kernels.GemmKernel;
                rows.Q = pq;
                rows.QStride = width;
                rows.Y = py;
                rows.Mask = _masked ? pm : null;
                rows.KeyPanels = pp;
                rows.KeyInit = pi;
                rows.V16 = pv;
                rows.SharedScratch = ps;
                if (_spec.RowScratchBytes <= AttentionRows.MaxStackScratch) kernels.Pool.Run(rows);
                else rows.Execute(0, 1);
                rows.Q = null;
                rows.Y = null;
                rows.Mask = null;
                rows.KeyPanels = null;
                rows.KeyInit = null;
                rows.V16 = null;
                rows.SharedScratch = null;
            }
        }
    }
}
