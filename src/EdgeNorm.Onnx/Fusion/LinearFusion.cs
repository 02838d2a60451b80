using EdgeNorm.Model.Ir;

namespace EdgeNorm.Onnx.Fusion;

/// <summary>
/// Linear: <c>MatMul(X, W)</c> with a constant 2-D W [K,N], optionally followed by <c>Add</c> of a constant
/// bias [N] (either operand order); and <c>Gemm(A, B, C)</c> with constant B and C, transA = 0 (transB
/// either way; alpha and beta are folded into the stored weight and bias). Becomes
/// <c>edgenorm.Linear(X, W[N,K], bias[N]?)</c> — the weight stored as [N,K] (output rows, torch's
/// layout), which is what the integer GEMM packs.
/// </summary>
public sealed class LinearFusion : FusionPass
{
    public override string Name => "Linear";

    protected override FusionMatch? TryMatch(FusionContext ctx, GraphView g, Node anchor)
    {
        if (Is(anchor, "MatMul")) return MatchMatMul(ctx, g, anchor);
        if (Is(anchor, "Gemm")) return MatchGemm(ctx, g, anchor);
        return null;
    }

    private static FusionMatch? MatchMatMul(FusionContext ctx, GraphView g, Node mm)
    {
        if (mm.Inputs.Count != 2 || !g.TryConstant(mm.Inputs[1], out var w) || g.IsConstant(mm.Inputs[0])) return null;
        if (w.Rank != 2 || w.Floats is null) return null;
        int k = w.Shape[0], n = w.Shape[1];
        if (g.Rank(mm.Inputs[0]) is 0) return null;

        Node root = mm;
        string? biasName = null;
        float[]? bias = null;
        var nodes = new List<Node> { mm };
        // Optional bias: the MatMul's only consumer is an Add with a constant [N] (or [1,…,1,N] that cannot
        // raise the rank) on the other side.
        if (g.HasSingleUse(mm.Outputs[0]) && Is(g.Consumers(mm.Outputs[0])[0], "Add"))
        {
            var add = g.Consumers(mm.Outputs[0])[0];
            var other = Other(add, mm.Outputs[0]);
            if (other is not null && g.TryConstant(other, out var b) && b.Floats is not null && b.Length == n && b.Rank >= 1
                && b.Shape[^1] == n && BiasKeepsRank(g, mm.Inputs[0], b.Rank))
            {
                root = add;
                nodes.Add(add);
                biasName = other;
                bias = b.Floats;
            }
        }

        var fused = NewFused(ctx, root, FusedOps.Linear, []);
        string wName = ctx.FreshName(fused.Name + ".weight");
        var match = new FusionMatch { Root = root, Nodes = nodes, Fused = fused };
        match.NewInitializers[wName] = Tensor.FromFloats([n, k], Transpose(w.Floats, k, n));
        fused.Inputs.Add(mm.Inputs[0]);
        fused.Inputs.Add(wName);
        if (bias is not null)
        {
            if (g.Graph.Initializers.TryGetValue(biasName!, out var bt) && bt.Rank == 1) fused.Inputs.Add(biasName!);
            else
            {
                string bName = ctx.FreshName(fused.Name + ".bias");
                match.NewInitializers[bName] = Tensor.FromFloats([n], (float[])bias.Clone());
                fused.Inputs.Add(bName);
            }
        }
        return match;
    }

    private static bool BiasKeepsRank(GraphView g, string x, int biasRank)
    {
        if (biasRank == 1) return true;
        return g.Rank(x) is int r && r >= biasRank;
    }

    private static FusionMatch? MatchGemm(FusionContext ctx, GraphView g, Node gemm)
    {
        if (gemm.GetInt("transA", 0) != 0 || gemm.Inputs.Count < 2) return null;
        if (!g.TryConstant(gemm.Inputs[1], out var bt) || bt.Rank != 2 || bt.Floats is null) return null;
        bool transB = gemm.GetInt("transB", 0) != 0;
        float alpha = gemm.GetFloat("alpha", 1f), beta = gemm.GetFloat("beta", 1f);
        int n = transB ? bt.Shape[0] : bt.Shape[1];
        int k = transB ? bt.Shape[1] : bt.Shape[0];
        float[] w = transB ? (float[])bt.Floats.Clone() : Transpose(bt.Floats, k, n);
        if (alpha != 1f) for (int i = 0; i < w.Length; i++) w[i] *= alpha;

        float[]? bias = null;
        if (gemm.Inputs.Count > 2 && gemm.Inputs[2].Length > 0)
        {
            // C must broadcast as a per-column bias: [N], [1,N] or a scalar.
            if (!g.TryConstant(gemm.Inputs[2], out var c) || c.Floats is null) return null;
            if (c.Rank is 1 or 2 && c.Length == n && c.Shape[^1] == n) bias = (float[])c.Floats.Clone();
            else if (c.Length == 1) bias = Enumerable.Repeat(c.Floats[0], n).ToArray();
            else return null;
            if (beta != 1f) for (int i = 0; i < bias.Length; i++) bias[i] *= beta;
        }

        var fused = NewFused(ctx, gemm, FusedOps.Linear, [gemm.Inputs[0]]);
        var match = new FusionMatch { Root = gemm, Nodes = [gemm], Fused = fused };
        if (transB && alpha == 1f && g.Graph.Initializers.ContainsKey(gemm.Inputs[1]))
            fused.Inputs.Add(gemm.Inputs[1]);
        else
        {
            string wName = ctx.FreshName(fused.Name + ".weight");
            match.NewInitializers[wName] = Tensor.FromFloats([n, k], w);
            fused.Inputs.Add(wName);
        }
        if (bias is not null)
        {
            if (beta == 1f && g.Graph.Initializers.TryGetValue(gemm.Inputs[2], out var ct) && ct.Rank == 1) fused.Inputs.Add(gemm.Inputs[2]);
            else
            {
                string bName = ctx.FreshName(fused.Name + ".bias");
                match.NewInitializers[bName] = Tensor.FromFloats([n], bias);
                fused.Inputs.Add(bName);
            }
        }
        return match;
    }

    /// <summary>Transposes a row-major [rows, cols] matrix.</summary>
    internal static float[] Transpose(float[] a, int rows, int cols)
    {
        var t = new float[a.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                t[c * rows + r] = a[r * cols + c];
        return t;
    }
}
