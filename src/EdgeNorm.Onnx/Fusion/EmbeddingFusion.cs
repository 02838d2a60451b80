using EdgeNorm.Model.Ir;

namespace EdgeNorm.Onnx.Fusion;

/// <summary>
/// Embedding lookup: <c>Gather(table, ids)</c> on axis 0 with a constant 2-D float table and non-constant
/// indices (token ids; position ids when they are computed). Becomes <c>edgenorm.Embedding(ids, table)</c>.
/// A Gather with constant indices is left to constant folding.
/// </summary>
public sealed class EmbeddingFusion : FusionPass
{
    public override string Name => "Embedding";

    protected override FusionMatch? TryMatch(FusionContext ctx, GraphView g, Node gather)
    {
        if (!Is(gather, "Gather") || gather.GetInt("axis", 0) != 0 || gather.Inputs.Count != 2) return null;
        if (!g.TryConstant(gather.Inputs[0], out var table) || table.Rank != 2 || table.Floats is null) return null;
        if (g.IsConstant(gather.Inputs[1])) return null;
        var fused = NewFused(ctx, gather, FusedOps.Embedding, [gather.Inputs[1], gather.Inputs[0]]);
        return new FusionMatch { Root = gather, Nodes = [gather], Fused = fused };
    }
}
