using EdgeNorm.Model.Ir;

namespace EdgeNorm.Onnx.Fusion;

/// <summary>
/// L1Norm over the last axis, as torch exports <c>c = x − x.mean(−1, keepdim=True);
/// d = c.abs().mean(−1, keepdim=True); y = c / (k·d + ε) · w + b</c>:
/// <c>μ = ReduceMean(X)</c>, <c>c = Sub(X, μ)</c>, <c>d = ReduceMean(Abs(c))</c>, the denominator
/// <c>Add(Mul(d, k), ε)</c> — the Mul by a scalar constant k may be missing (k = 1), either operand order,
/// and the Add of a scalar constant ε may be missing (ε = 0) — then <c>Div(c, ·)</c> and the optional
/// <c>Mul(·, γ)</c>, <c>Add(·, β)</c> with constant per-channel γ, β. Both ReduceMeans over the last axis with
/// keepdims = 1; k must be positive and ε non-negative.
/// Becomes <c>edgenorm.L1Norm(X, γ?, β?)</c> with attributes epsilon and mad_scale (= k).
/// </summary>
public sealed class L1NormFusion : FusionPass
{
    public override string Name => "L1Norm";

    protected override FusionMatch? TryMatch(FusionContext ctx, GraphView g, Node div)
    {
        if (!Is(div, "Div") || div.Inputs.Count != 2) return null;
        var sub = g.ProducerOf(div.Inputs[0], "Sub");
        if (sub is null) return null;
        string x = sub.Inputs[0], c = sub.Outputs[0];
        var mean = g.ProducerOf(sub.Inputs[1], "ReduceMean");
        if (mean is null || mean.Inputs[0] != x || !IsMeanOverLastAxis(g, mean)) return null;

        var nodes = new List<Node> { mean, sub };
        string denom = div.Inputs[1];
        float eps = 0, k = 1;
        var addEps = g.ProducerOf(denom, "Add");
        if (addEps is not null)
        {
            int which = g.TryScalar(addEps.Inputs[1], out eps) ? 0 : g.TryScalar(addEps.Inputs[0], out eps) ? 1 : -1;
            if (which < 0 || eps < 0) return null;
            nodes.Add(addEps);
            denom = addEps.Inputs[which];
        }
        var mulK = g.ProducerOf(denom, "Mul");
        if (mulK is not null)
        {
            int which = g.TryScalar(mulK.Inputs[1], out k) ? 0 : g.TryScalar(mulK.Inputs[0], out k) ? 1 : -1;
            if (which < 0 || !(k > 0)) return null;
            nodes.Add(mulK);
            denom = mulK.Inputs[which];
        }
        var mad = g.ProducerOf(denom, "ReduceMean");
        if (mad is null || !IsMeanOverLastAxis(g, mad)) return null;
        var abs = g.ProducerOf(mad.Inputs[0], "Abs");
        if (abs is null || abs.Inputs[0] != c) return null;
        nodes.Add(mad);
        nodes.Add(abs);
        nodes.Add(div);

        var tail = NormAffine.Match(ctx, g, div, x, div.Name.Length > 0 ? div.Name : "l1norm");
        nodes.AddRange(tail.Nodes);
        var fused = NewFused(ctx, tail.Root, FusedOps.L1Norm, [x, tail.Gamma, tail.Beta]);
        fused.Attributes[FusedOps.Epsilon] = Model.Ir.Attribute.Of(eps);
        fused.Attributes[FusedOps.MadScale] = Model.Ir.Attribute.Of(k);
        var m = new FusionMatch { Root = tail.Root, Nodes = nodes, Fused = fused };
        foreach (var (name, t) in tail.NewInitializers) m.NewInitializers[name] = t;
        return m;
    }
}
