using EdgeNorm.Model.Ir;

namespace EdgeNorm.Onnx.Fusion;

/// <summary>
/// The optional per-channel affine tail of a decomposed normalisation: <c>Mul(·, γ)</c> then
/// <c>Add(·, β)</c> (either operand order, either step may be missing), with constant γ, β holding one value
/// per element of the last axis (shape [D] or [1,…,1,D] that cannot raise the rank).
/// </summary>
internal static class NormAffine
{
    public sealed record Tail(Node Root, List<Node> Nodes, string Gamma, string Beta, Dictionary<string, Tensor> NewInitializers);

    public static Tail Match(FusionContext ctx, GraphView g, Node normalized, string x, string stem)
    {
        var nodes = new List<Node>();
        var newInits = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        Node root = normalized;
        string gamma = "", beta = "";
        string cur = normalized.Outputs[0];
        if (g.HasSingleUse(cur) && g.Consumers(cur)[0] is { Domain: "", OpType: "Mul" } mul
            && Other(mul, cur) is { } gName && PerChannel(ctx, g, gName, x, stem + ".gamma", newInits) is { } gRef)
        {
            nodes.Add(mul);
            root = mul;
            gamma = gRef;
            cur = mul.Outputs[0];
        }
        if (g.HasSingleUse(cur) && g.Consumers(cur)[0] is { Domain: "", OpType: "Add" } add
            && Other(add, cur) is { } bName && PerChannel(ctx, g, bName, x, stem + ".beta", newInits) is { } bRef)
        {
            nodes.Add(add);
            root = add;
            beta = bRef;
        }
        return new Tail(root, nodes, gamma, beta, newInits);
    }

    /// <summary>
    /// The name of a rank-1 initializer holding the per-channel constant: the original when it already is
    /// one, else a fresh copy flattened to [D]. Null when the tensor is not such a constant.
    /// </summary>
    public static string? PerChannel(FusionContext ctx, GraphView g, string name, string x, string freshStem, Dictionary<string, Tensor> newInits)
    {
        if (!g.TryConstant(name, out var t) || t.Floats is null || t.Rank == 0) return null;
        for (int i = 0; i < t.Rank - 1; i++) if (t.Shape[i] != 1) return null;
        if (t.Rank > 1 && !(g.Rank(x) is int r && r >= t.Rank)) return null;
        if (t.Rank == 1 && g.Graph.Initializers.ContainsKey(name)) return name;
        string fresh = ctx.FreshName(freshStem);
        newInits[fresh] = Tensor.FromFloats([t.Shape[^1]], (float[])t.Floats.Clone());
        return fresh;
    }

    private static string? Other(Node binary, string known)
    {
        if (binary.Inputs.Count != 2) return null;
        if (binary.Inputs[0] == known) return binary.Inputs[1];
        if (binary.Inputs[1] == known) return binary.Inputs[0];
        return null;
    }
}
