using EdgeNorm.Model.Ir;

namespace EdgeNorm.Onnx.Fusion;

/// <summary>
/// LayerNorm over the last axis, in two forms:
/// <list type="bullet">
/// <item>the opset-17 op <c>LayerNormalization(X, Scale, B?)</c> with axis = −1 (or rank − 1), a constant
/// 1-D Scale and only its first output used;</item>
/// <item>torch's decomposition at opsets 13–16: <c>μ = ReduceMean(X)</c>, <c>c = Sub(X, μ)</c>,
/// <c>v = ReduceMean(Pow(c, 2))</c> (or <c>Mul(c, c)</c>), <c>Div(c, Sqrt(Add(v, ε)))</c>, then the optional
/// <c>Mul(·, γ)</c>, <c>Add(·, β)</c> with constant per-channel γ, β. Both ReduceMeans over the last axis
/// with keepdims = 1; the exponent must be exactly 2 and ε a positive scalar constant.</item>
/// </list>
/// Becomes <c>edgenorm.LayerNorm(X, γ?, β?)</c> with attribute epsilon.
/// </summary>
public sealed class LayerNormFusion : FusionPass
{
    public override string Name => "LayerNorm";

    protected override FusionMatch? TryMatch(FusionContext ctx, GraphView g, Node anchor)
    {
        if (Is(anchor, "LayerNormalization")) return MatchOp(ctx, g, anchor);
        if (Is(anchor, "Div")) return MatchDecomposed(ctx, g, anchor);
        return null;
    }

    private static FusionMatch? MatchOp(FusionContext ctx, GraphView g, Node ln)
    {
        long axis = ln.GetInt("axis", -1);
        if (axis != -1 && !(g.Rank(ln.Inputs[0]) is int r && axis == r - 1)) return null;
        if (ln.Inputs.Count < 2 || !g.TryConstant(ln.Inputs[1], out var scale) || scale.Rank != 1 || scale.Floats is null) return null;
        string beta = "";
        if (ln.Inputs.Count > 2 && ln.Inputs[2].Length > 0)
        {
            if (!g.TryConstant(ln.Inputs[2], out var b) || b.Rank != 1 || b.Length != scale.Length) return null;
            beta = ln.Inputs[2];
        }
        var fused = NewFused(ctx, ln, FusedOps.LayerNorm, [ln.Inputs[0], ln.Inputs[1], beta]);
        fused.Attributes[FusedOps.Epsilon] = Model.Ir.Attribute.Of(ln.GetFloat("epsilon", 1e-5f));
        return new FusionMatch { Root = ln, Nodes = [ln], Fused = fused };
    }

    private static FusionMatch? MatchDecomposed(FusionContext ctx, GraphView g, Node div)
    {
        if (div.Inputs.Count != 2) return null;
        var sub = g.ProducerOf(div.Inputs[0], "Sub");
        var sqrt = g.ProducerOf(div.Inputs[1], "Sqrt");
        if (sub is null || sqrt is null) return null;
        var mean = g.ProducerOf(sub.Inputs[1], "ReduceMean");
        string x = sub.Inputs[0];
        if (mean is null || mean.Inputs[0] != x || !IsMeanOverLastAxis(g, mean)) return null;

        var addEps = g.ProducerOf(sqrt.Inputs[0], "Add");
        if (addEps is null) return null;
        Node? var = null;
        float eps = 0;
        foreach (var (a, b) in new[] { (0, 1), (1, 0) })
        {
            var v = g.ProducerOf(addEps.Inputs[a], "ReduceMean");
            if (v is not null && g.TryScalar(addEps.Inputs[b], out eps)) { var = v; break; }
        }
        if (var is null || !IsMeanOverLastAxis(g, var) || !(eps > 0)) return null;

        string c = sub.Outputs[0];
        var sq = g.Producer(var.Inputs[0]);
        if (Is(sq, "Pow"))
        {
            if (sq!.Inputs[0] != c || !g.IsScalar(sq.Inputs[1], 2.0, 0)) return null;
        }
        else if (Is(sq, "Mul"))
        {
            if (sq!.Inputs.Count != 2 || sq.Inputs[0] != c || sq.Inputs[1] != c) return null;
        }
        else return null;

        var tail = NormAffine.Match(ctx, g, div, x, div.Name.Length > 0 ? div.Name : "layernorm");
        var nodes = new List<Node> { mean, sub, sq, var, addEps, sqrt, div };
        nodes.AddRange(tail.Nodes);
        var fused = NewFused(ctx, tail.Root, FusedOps.LayerNorm, [x, tail.Gamma, tail.Beta]);
        fused.Attributes[FusedOps.Epsilon] = Model.Ir.Attribute.Of(eps);
        var m = new FusionMatch { Root = tail.Root, Nodes = nodes, Fused = fused };
        foreach (var (k, t) in tail.NewInitializers) m.NewInitializers[k] = t;
        return m;
    }
}
