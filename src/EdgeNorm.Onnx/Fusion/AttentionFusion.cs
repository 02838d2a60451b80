using EdgeNorm.Model.Ir;

namespace EdgeNorm.Onnx.Fusion;

/// <summary>
/// Multi-head scaled dot-product attention, anchored on the Softmax:
/// <code>
///   S = MatMul(Qh, Kt)  →  [Mul(·, c) | Div(·, c)]  →  [Add(·, mask)]  →  Softmax(axis −1)
///   O = MatMul(softmax, Vh)  →  Transpose(0,2,1,3)  →  Reshape to (B, S, H·Dh)        (the root)
/// </code>
/// where Qh (B,H,S,Dh), Kt (B,H,Dh,S) and Vh (B,H,S,Dh) are traced back, through Transposes (any chain
/// that composes to the right permutation), to their sources:
/// <list type="bullet">
/// <item>separate projections: <c>Reshape(q, (B, S, H, Dh))</c> per tensor (BERT/HF);</item>
/// <item>one packed projection: <c>Reshape(qkv, (B, S, 3, H, Dh))</c>, a Transpose, then
/// <c>Split(axis)</c>+<c>Squeeze</c> or <c>Gather(axis, j)</c> picking slot j = 0, 1, 2 for q, k, v (timm).</item>
/// </list>
/// Scalar-constant Mul/Div on the q or k path (q·scale before the product) fold into the scale. The
/// head count must be a constant of the split Reshape (or follow from a constant head size and a known
/// width). Becomes <c>edgenorm.Attention(q | qkv, k?, v?, mask?)</c> with attributes num_heads, scale,
/// packed_qkv.
/// </summary>
public sealed class AttentionFusion : FusionPass
{
    public override string Name => "Attention";

    /// <summary>Where q, k or v comes from: the (B, S, W) tensor, its slot in a packed qkv (−1 if not packed), the head count.</summary>
    private sealed record Source(string Tensor, int Slot, long Heads);

    protected override FusionMatch? TryMatch(FusionContext ctx, GraphView g, Node softmax)
    {
        if (!Is(softmax, "Softmax")) return null;
        long axis = softmax.GetInt("axis", -1);
        if (axis != -1 && axis != 3) return null;

        var nodes = new HashSet<Node>(ReferenceEqualityComparer.Instance) { softmax };
        double scale = 1.0;
        string mask = "";

        // Scores side: [Add mask] ← [Mul/Div scale] ← MatMul(Qh, Kt).
        string t = softmax.Inputs[0];
        var p = g.Producer(t);
        if (Is(p, "Add"))
        {
            Node add = p!;
            int scoreSide = -1;
            for (int i = 0; i < 2; i++)
            {
                var q = g.Producer(add.Inputs[i]);
                if (Is(q, "MatMul") || (IsScaleNode(g, q, out _, out int di) && Is(g.Producer(q!.Inputs[di]), "MatMul"))) { scoreSide = i; break; }
            }
            if (scoreSide < 0) return null;
            mask = add.Inputs[1 - scoreSide];
            if (g.Rank(mask) is int mr && mr > 4) return null;
            nodes.Add(add);
            t = add.Inputs[scoreSide];
            p = g.Producer(t);
        }
        if (IsScaleNode(g, p, out double f, out int dataIndex))
        {
            scale *= f;
            nodes.Add(p!);
            t = p!.Inputs[dataIndex];
            p = g.Producer(t);
        }
        if (!Is(p, "MatMul")) return null;
        var qk = p!;
        nodes.Add(qk);

        // Output side: MatMul(P, Vh) → Transpose(0,2,1,3) → Reshape (B, S, H·Dh).
        if (!g.HasSingleUse(softmax.Outputs[0])) return null;
        var pv = g.Consumers(softmax.Outputs[0])[0];
        if (!Is(pv, "MatMul") || pv.Inputs[0] != softmax.Outputs[0]) return null;
        nodes.Add(pv);
        var tOut = OnlyConsumer(g, pv.Outputs[0], "Transpose");
        if (tOut is null || !(tOut.GetInts("perm") is { } perm && perm.SequenceEqual([0L, 2, 1, 3]))) return null;
        nodes.Add(tOut);
        var rOut = OnlyConsumer(g, tOut.Outputs[0], "Reshape");
        if (rOut is null || rOut.Inputs[0] != tOut.Outputs[0] || rOut.GetInt("allowzero", 0) != 0) return null;
        var merge = ShapeVector.Resolve(g, rOut.Inputs[1]);
        if (merge is not { Length: 3 } || !ShapeVector.KeepsDim(g, merge[0], tOut.Outputs[0], 0)
            || !ShapeVector.KeepsDim(g, merge[1], tOut.Outputs[0], 1)) return null;
        nodes.Add(rOut);

        // Trace q, k, v back to their sources.
        double qScale = 1, kScale = 1, vScale = 1;
        var qs = Trace(g, qk.Inputs[0], ["B", "H", "S", "D"], nodes, ref qScale);
        var ks = Trace(g, qk.Inputs[1], ["B", "H", "D", "S"], nodes, ref kScale);
        var vs = Trace(g, pv.Inputs[1], ["B", "H", "S", "D"], nodes, ref vScale);
        if (qs is null || ks is null || vs is null || vScale != 1.0) return null;
        if (qs.Heads != ks.Heads || qs.Heads != vs.Heads) return null;
        scale *= qScale * kScale;

        bool packed;
        if (qs.Slot < 0 && ks.Slot < 0 && vs.Slot < 0) packed = false;
        else if (qs.Slot == 0 && ks.Slot == 1 && vs.Slot == 2 && qs.Tensor == ks.Tensor && qs.Tensor == vs.Tensor) packed = true;
        else return null;
        if (mask.Length > 0 && nodes.Any(n => n.Outputs.Contains(mask))) return null;

        var inputs = packed ? new List<string> { qs.Tensor, "", "" } : [qs.Tensor, ks.Tensor, vs.Tensor];
        if (mask.Length > 0) inputs.Add(mask);
        var fused = NewFused(ctx, rOut, FusedOps.Attention, inputs);
        fused.Attributes[FusedOps.NumHeads] = Model.Ir.Attribute.Of(qs.Heads);
        fused.Attributes[FusedOps.Scale] = Model.Ir.Attribute.Of((float)scale);
        fused.Attributes[FusedOps.PackedQkv] = Model.Ir.Attribute.Of(packed ? 1L : 0L);
        return new FusionMatch { Root = rOut, Nodes = nodes, Fused = fused };
    }

    /// <summary>Mul by a scalar constant (either side) or Div by one: the factor it applies.</summary>
    private static bool IsScaleNode(GraphView g, Node? n, out double factor, out int dataIndex)
    {
        factor = 1;
        dataIndex = 0;
        if (Is(n, "Div") && g.TryScalar(n!.Inputs[1], out float d) && d != 0 && !g.IsConstant(n.Inputs[0]))
        { factor = 1.0 / d; return true; }
        if (Is(n, "Mul"))
        {
            for (int i = 0; i < 2; i++)
                if (g.TryScalar(n!.Inputs[1 - i], out float m) && !g.IsConstant(n.Inputs[i]))
                { factor = m; dataIndex = i; return true; }
        }
        return false;
    }

    /// <summary>
    /// Walks from a head-split tensor with axis labels <paramref name="labels"/> back to the Reshape that split
    /// the heads out of a (B, S, [3·]H·Dh) tensor; collects the nodes passed and any scalar scaling.
    /// </summary>
    private static Source? Trace(GraphView g, string t, string[] labels, HashSet<Node> nodes, ref double scale)
    {
        var cur = labels.ToList();
        int slot = -1;
        for (int hops = 0; hops < 8; hops++)
        {
            var p = g.Producer(t);
            if (p is null || p.Domain.Length != 0) return null;
            switch (p.OpType)
            {
                case "Transpose":
                {
                    var perm = p.GetInts("perm");
                    if (perm is null || perm.Length != cur.Count) return null;
                    var prev = new string[cur.Count];
                    for (int i = 0; i < perm.Length; i++) prev[perm[i]] = cur[i];
                    cur = [.. prev];
                    break;
                }
                case "Mul":
                case "Div":
                {
                    if (!IsScaleNode(g, p, out double f, out int di)) return null;
                    scale *= f;
                    nodes.Add(p);
                    t = p.Inputs[di];
                    continue;
                }
                case "Squeeze":
                {
                    var axes = ShapeVector.SqueezeAxes(g, p);
                    if (axes is not { Length: 1 }) return null;
                    int a = (int)(axes[0] < 0 ? axes[0] + cur.Count + 1 : axes[0]);
                    if (a < 0 || a > cur.Count) return null;
                    cur.Insert(a, "1");
                    break;
                }
                case "Split":
                {
                    int a = (int)p.GetInt("axis", 0);
                    if (a < 0) a += cur.Count;
                    if (a < 0 || a >= cur.Count || cur[a] != "1" || p.Outputs.Count != 3 || slot >= 0) return null;
                    long[]? split = p.GetInts("split");
                    if (split is null && p.Inputs.Count > 1 && p.Inputs[1].Length > 0 && !g.TryInts(p.Inputs[1], out split)) return null;
                    if (split is not null && !split.All(s => s == 1)) return null;
                    slot = p.Outputs.IndexOf(t);
                    cur[a] = "3";
                    break;
                }
                case "Gather":
                {
                    int a = (int)p.GetInt("axis", 0);
                    if (!g.TryConstant(p.Inputs[1], out var idx) || idx.Rank != 0 || idx.Longs is null || slot >= 0) return null;
                    if (a < 0) a += cur.Count + 1;
                    if (a < 0 || a > cur.Count) return null;
                    slot = (int)idx.Longs[0];
                    if (slot < 0) slot += 3;
                    cur.Insert(a, "3");
                    break;
                }
                case "Reshape":
                {
                    nodes.Add(p);
                    bool packed = cur.SequenceEqual(["B", "S", "3", "H", "D"]);
                    if (!packed && !cur.SequenceEqual(["B", "S", "H", "D"])) return null;
                    if (packed != slot >= 0) return null;
                    long? heads = SplitHeads(g, p, packed);
                    return heads is null ? null : new Source(p.Inputs[0], slot, heads.Value);
                }
                default:
                    return null;
            }
            nodes.Add(p);
            t = p.Inputs[0];
        }
        return null;
    }

    /// <summary>
    /// Checks a head-splitting Reshape (B, S, W) → (B, S, [3,] H, Dh) and returns H, or null when the
    /// reshape is not that or H cannot be determined.
    /// </summary>
    private static long? SplitHeads(GraphView g, Node reshape, bool packed)
    {
        string input = reshape.Inputs[0];
        if (g.Rank(input) is int r && r != 3) return null;
        if (reshape.GetInt("allowzero", 0) != 0) return null;
        var e = ShapeVector.Resolve(g, reshape.Inputs[1]);
        int n = packed ? 5 : 4;
        if (e is null || e.Length != n) return null;
        if (!ShapeVector.KeepsDim(g, e[0], input, 0)) return null;
        if (!ShapeVector.KeepsDim(g, e[1], input, 1))
        {
            // (B, −1, [3,] H, Dh) keeps the sequence axis only when the trailing constants make up the width.
            var width = g.Shape(input) is { Length: 3 } s3 && s3[2].IsFixed ? s3[2].Size : -1;
            if (!e[1].Is(-1) || width < 0 || e.Skip(2).Any(x => x.Value is not > 0)
                || e.Skip(2).Aggregate(1L, (a, x) => a * x.Value!.Value) != width) return null;
        }
        if (packed && !e[2].Is(3)) return null;
        ShapeElem h = e[n - 2], dh = e[n - 1];
        if (e.Count(x => x.Is(-1)) > 1) return null;

        // With a known output shape the head count is read from it.
        var outShape = g.Shape(reshape.Outputs[0]);
        if (outShape is { } os && os.Length == n && os[n - 2].IsFixed) return os[n - 2].Size;
        if (h.Value is long hv && hv > 0) return hv;
        if (dh.Value is long dv && dv > 0 && g.Shape(input) is { } ins && ins.Length == 3 && ins[2].IsFixed)
        {
            long width = ins[2].Size / (packed ? 3 : 1);
            if (width % dv == 0) return width / dv;
        }
        return null;
    }
}
