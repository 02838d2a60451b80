using EdgeNorm.Model.Ir;

namespace EdgeNorm.Onnx.Fusion;

/// <summary>
/// Plain inference BatchNormalization: constant scale, bias, running mean and variance, training_mode 0,
/// only the first output used. Becomes <c>edgenorm.BatchNorm(X, γ, β, μ, σ²)</c> with attribute epsilon;
/// channels on axis 1, as in ONNX. Runs after <see cref="RepBnFusion"/>, which takes the transposed ones.
/// </summary>
public sealed class BatchNormFusion : FusionPass
{
    public override string Name => "BatchNorm";

    protected override FusionMatch? TryMatch(FusionContext ctx, GraphView g, Node bn)
    {
        if (!RepBnFusion.IsInferenceBn(g, bn)) return null;
        var fused = NewFused(ctx, bn, FusedOps.BatchNorm, bn.Inputs.Take(5));
        fused.Attributes[FusedOps.Epsilon] = Model.Ir.Attribute.Of(bn.GetFloat("epsilon", 1e-5f));
        return new FusionMatch { Root = bn, Nodes = [bn], Fused = fused };
    }
}
