using EdgeNorm.Model.Ir;

namespace EdgeNorm.Onnx.Fusion;

/// <summary>
/// Patch embedding: <c>Conv(X, W, b?)</c> with a constant 4-D weight, kernel = stride, no padding,
/// dilation 1, group 1, then <c>Reshape</c> to (B, D, −1) (torch's <c>flatten(2)</c>: the target may be a
/// constant or a Shape → Slice → Concat chain) and <c>Transpose(0, 2, 1)</c>. Becomes
/// <c>edgenorm.PatchEmbed(X, W[D,C,kh,kw], b[D]?)</c> with attribute kernel_shape = [kh, kw]; output
/// (B, (H/kh)·(W/kw), D) with patches in row-major order.
/// </summary>
public sealed class PatchEmbedFusion : FusionPass
{
    public override string Name => "PatchEmbed";

    protected override FusionMatch? TryMatch(FusionContext ctx, GraphView g, Node conv)
    {
        if (!Is(conv, "Conv")) return null;
        if (conv.Inputs.Count < 2 || !g.TryConstant(conv.Inputs[1], out var w) || w.Rank != 4 || w.Floats is null) return null;
        long[] kernel = conv.GetInts("kernel_shape") ?? [w.Shape[2], w.Shape[3]];
        if (kernel.Length != 2 || kernel[0] != w.Shape[2] || kernel[1] != w.Shape[3]) return null;
        if (!(conv.GetInts("strides") is { } strides && strides.SequenceEqual(kernel))) return null;
        if (conv.GetInt("group", 1) != 1) return null;
        if (conv.GetInts("dilations") is { } dil && dil.Any(d => d != 1)) return null;
        if (conv.GetInts("pads") is { } pads && pads.Any(p => p != 0)) return null;
        string autoPad = conv.GetString("auto_pad") ?? "NOTSET";
        if (autoPad is not ("NOTSET" or "VALID")) return null;
        string bias = "";
        if (conv.Inputs.Count > 2 && conv.Inputs[2].Length > 0)
        {
            if (!g.TryConstant(conv.Inputs[2], out var b) || b.Rank != 1 || b.Length != w.Shape[0]) return null;
            bias = conv.Inputs[2];
        }

        var reshape = OnlyConsumer(g, conv.Outputs[0], "Reshape");
        if (reshape is null || reshape.Inputs[0] != conv.Outputs[0] || reshape.GetInt("allowzero", 0) != 0) return null;
        var target = ShapeVector.Resolve(g, reshape.Inputs[1]);
        if (target is not { Length: 3 }) return null;
        if (!ShapeVector.KeepsDim(g, target[0], conv.Outputs[0], 0)) return null;
        if (!(target[1].Is(w.Shape[0]) || ShapeVector.KeepsDim(g, target[1], conv.Outputs[0], 1))) return null;
        if (!(target[2].Is(-1) || target[2].Value > 0)) return null;
        var transpose = OnlyConsumer(g, reshape.Outputs[0], "Transpose");
        if (transpose is null || !(transpose.GetInts("perm") is { } perm && perm.SequenceEqual([0L, 2, 1]))) return null;

        var fused = NewFused(ctx, transpose, FusedOps.PatchEmbed, [conv.Inputs[0], conv.Inputs[1], bias]);
        fused.Attributes[FusedOps.KernelShape] = Model.Ir.Attribute.Of(kernel);
        return new FusionMatch { Root = transpose, Nodes = [conv, reshape, transpose], Fused = fused };
    }
}
