using EdgeNorm.Model.Ir;

namespace EdgeNorm.Onnx.Fusion;

/// <summary>
/// RepBN as SLAB exports it at inference, on a (B, N, C) token tensor X:
/// <code>
///   T = Transpose(X, (0,2,1));  Y = Add(BatchNormalization(T, γ, β, μ, σ²), Mul(α, T));  Transpose(Y, (0,2,1))
/// </code>
/// (Mul and Add in either operand order; α a one-element constant; the BN an inference BN with constant
/// parameters). Without the α branch (<c>Transpose → BN → Transpose</c>) the same op is produced with α
/// omitted (= 0). Becomes <c>edgenorm.RepBN(X, γ, β, μ, σ², α?)</c> with attribute epsilon — the BN
/// parameters are kept as they are so the quantiser can fold PRepBN itself; channels on the last axis.
/// </summary>
public sealed class RepBnFusion : FusionPass
{
    public override string Name => "RepBN";

    internal static readonly long[] SwapLast = [0, 2, 1];

    /// <summary>An inference BatchNormalization with constant parameters and only its first output used.</summary>
    internal static bool IsInferenceBn(GraphView g, Node? bn)
    {
        if (bn is null || bn.Domain.Length != 0 || bn.OpType != "BatchNormalization" || bn.Inputs.Count < 5) return false;
        if (bn.GetInt("training_mode", 0) != 0) return false;
        for (int i = 1; i < 5; i++)
            if (!g.TryConstant(bn.Inputs[i], out var t) || t.Rank != 1 || t.Floats is null) return false;
        for (int i = 1; i < bn.Outputs.Count; i++)
            if (bn.Outputs[i].Length > 0 && (g.Consumers(bn.Outputs[i]).Count > 0 || g.IsGraphOutput(bn.Outputs[i]))) return false;
        return true;
    }

    protected override FusionMatch? TryMatch(FusionContext ctx, GraphView g, Node t2)
    {
        if (!Is(t2, "Transpose") || !(t2.GetInts("perm") is { } p2 && p2.SequenceEqual(SwapLast))) return null;
        var nodes = new List<Node> { t2 };
        string alpha = "";
        Node? bn;
        var add = g.ProducerOf(t2.Inputs[0], "Add");
        if (add is not null)
        {
            bn = null;
            Node? mul = null;
            for (int i = 0; i < 2 && bn is null; i++)
            {
                var b = g.Producer(add.Inputs[i]);
                var m = g.ProducerOf(add.Inputs[1 - i], "Mul");
                if (IsInferenceBn(g, b) && m is not null) { bn = b; mul = m; }
            }
            if (bn is null || mul is null) return null;
            string t = bn.Inputs[0];
            var a = Other(mul, t);
            if (a is null || !g.TryConstant(a, out var at) || at.Length != 1 || at.Floats is null) return null;
            alpha = a;
            nodes.Add(add);
            nodes.Add(mul);
        }
        else
        {
            bn = g.Producer(t2.Inputs[0]);
            if (!IsInferenceBn(g, bn)) return null;
        }
        nodes.Add(bn!);
        var t1 = g.ProducerOf(bn!.Inputs[0], "Transpose");
        if (t1 is null || !(t1.GetInts("perm") is { } p1 && p1.SequenceEqual(SwapLast))) return null;
        nodes.Add(t1);

        var fused = NewFused(ctx, t2, FusedOps.RepBN, [t1.Inputs[0], bn.Inputs[1], bn.Inputs[2], bn.Inputs[3], bn.Inputs[4], alpha]);
        fused.Attributes[FusedOps.Epsilon] = Model.Ir.Attribute.Of(bn.GetFloat("epsilon", 1e-5f));
        return new FusionMatch { Root = t2, Nodes = nodes, Fused = fused };
    }
}
