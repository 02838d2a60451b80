using EdgeNorm.Model.Ir;

namespace EdgeNorm.Onnx.Fusion;

/// <summary>
/// GELU in the forms torch exports, matched algebraically rather than by one node order:
/// <list type="bullet">
/// <item>erf: <c>Erf(x / √2)</c> (Div by √2 or Mul by 1/√2), <c>Add(·, 1)</c>, and then a product of that
/// with x and 0.5 in any association (<c>x·(1+erf)·0.5</c>, <c>(x·0.5)·(1+erf)</c>, <c>0.5·(x·(1+erf))</c>…);</item>
/// <item>tanh: <c>Tanh(√(2/π)·(x + 0.044715·x³))</c> with x³ as <c>Pow(x, 3)</c>, <c>x·(x·x)</c> or
/// <c>(x·x)·x</c>, <c>Add(·, 1)</c>, and the same product with x and 0.5.</item>
/// </list>
/// Constants are checked to float32 rounding (√2, 1/√2, √(2/π), 0.044715, 1, 0.5, exponent 3).
/// Becomes <c>edgenorm.Gelu(X)</c> with attribute approximate = "none" | "tanh".
/// </summary>
public sealed class GeluFusion : FusionPass
{
    public override string Name => "Gelu";

    protected override FusionMatch? TryMatch(FusionContext ctx, GraphView g, Node anchor)
    {
        string form;
        string? x;
        var nodes = new List<Node> { anchor };
        if (Is(anchor, "Erf"))
        {
            form = "none";
            x = MatchScaled(g, anchor.Inputs[0], Math.Sqrt(2.0), nodes);
        }
        else if (Is(anchor, "Tanh"))
        {
            form = "tanh";
            x = MatchTanhArgument(g, anchor.Inputs[0], nodes);
        }
        else return null;
        if (x is null) return null;

        // 1 + f(x)
        if (!g.HasSingleUse(anchor.Outputs[0])) return null;
        var plus1 = g.Consumers(anchor.Outputs[0])[0];
        if (!Is(plus1, "Add") || Other(plus1, anchor.Outputs[0]) is not { } one || !g.IsScalar(one, 1.0)) return null;
        nodes.Add(plus1);

        // The product of (1 + f), x and 0.5 in any association.
        var root = MatchProduct(g, plus1.Outputs[0], x, nodes);
        if (root is null) return null;
        var fused = NewFused(ctx, root, FusedOps.Gelu, [x]);
        fused.Attributes[FusedOps.Approximate] = Model.Ir.Attribute.Of(form);
        return new FusionMatch { Root = root, Nodes = nodes, Fused = fused };
    }

    /// <summary>t = x / c or x · (1/c): returns x.</summary>
    private static string? MatchScaled(GraphView g, string t, double c, List<Node> nodes)
    {
        var p = g.Producer(t);
        if (Is(p, "Div") && g.IsScalar(p!.Inputs[1], c)) { nodes.Add(p); return p.Inputs[0]; }
        if (Is(p, "Mul"))
        {
            for (int i = 0; i < 2; i++)
                if (g.IsScalar(p!.Inputs[1 - i], 1.0 / c)) { nodes.Add(p); return p.Inputs[i]; }
        }
        return null;
    }

    /// <summary>√(2/π)·(x + 0.044715·x³): returns x.</summary>
    private static string? MatchTanhArgument(GraphView g, string t, List<Node> nodes)
    {
        var scaled = g.ProducerOf(t, "Mul");
        if (scaled is null) return null;
        string? inner = null;
        for (int i = 0; i < 2; i++)
            if (g.IsScalar(scaled.Inputs[1 - i], Math.Sqrt(2.0 / Math.PI))) inner = scaled.Inputs[i];
        if (inner is null) return null;
        var sum = g.ProducerOf(inner, "Add");
        if (sum is null) return null;
        for (int i = 0; i < 2; i++)
        {
            string x = sum.Inputs[i];
            var cubicTerm = g.ProducerOf(sum.Inputs[1 - i], "Mul");
            if (cubicTerm is null) continue;
            for (int j = 0; j < 2; j++)
            {
                if (!g.IsScalar(cubicTerm.Inputs[1 - j], 0.044715)) continue;
                var cube = new List<Node>();
                if (IsCube(g, cubicTerm.Inputs[j], x, cube))
                {
                    nodes.Add(scaled);
                    nodes.Add(sum);
                    nodes.Add(cubicTerm);
                    nodes.AddRange(cube);
                    return x;
                }
            }
        }
        return null;
    }

    /// <summary>t = Pow(x, 3), Mul(x, Mul(x, x)) or Mul(Mul(x, x), x).</summary>
    private static bool IsCube(GraphView g, string t, string x, List<Node> nodes)
    {
        var p = g.Producer(t);
        if (Is(p, "Pow")) { nodes.Add(p!); return p!.Inputs[0] == x && g.IsScalar(p.Inputs[1], 3.0, 0); }
        if (!Is(p, "Mul")) return false;
        for (int i = 0; i < 2; i++)
        {
            if (p!.Inputs[i] != x) continue;
            var sq = g.ProducerOf(p.Inputs[1 - i], "Mul");
            if (sq is not null && sq.Inputs[0] == x && sq.Inputs[1] == x) { nodes.Add(p); nodes.Add(sq); return true; }
        }
        return false;
    }

    /// <summary>
    /// Walks up single-use Mul nodes from <paramref name="start"/> collecting the other factors until they
    /// are exactly {x, 0.5} (a factor may itself be the single-use product x·0.5). Returns the last Mul.
    /// </summary>
    private static Node? MatchProduct(GraphView g, string start, string x, List<Node> nodes)
    {
        bool haveX = false, haveHalf = false;
        string cur = start;
        for (int step = 0; step < 3; step++)
        {
            if (!g.HasSingleUse(cur)) return null;
            var mul = g.Consumers(cur)[0];
            if (!Is(mul, "Mul")) return null;
            var other = Other(mul, cur);
            if (other is null) return null;
            nodes.Add(mul);
            if (other == x && !haveX) haveX = true;
            else if (g.IsScalar(other, 0.5) && !haveHalf) haveHalf = true;
            else if (!haveX && !haveHalf && g.ProducerOf(other, "Mul") is { } xh && g.HasSingleUse(other)
                     && Other(xh, x) is { } h && g.IsScalar(h, 0.5))
            {
                nodes.Add(xh);
                haveX = haveHalf = true;
            }
            else return null;
            if (haveX && haveHalf) return mul;
            cur = mul.Outputs[0];
        }
        return null;
    }
}
