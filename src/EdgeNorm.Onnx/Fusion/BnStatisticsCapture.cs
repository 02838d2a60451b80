using EdgeNorm.Model.Ir;

namespace EdgeNorm.Onnx.Fusion;

/// <summary>
/// Records every inference BatchNormalization of the imported graph into <see cref="Graph.BnStatistics"/>
/// before fusion or folding touches it (ZeroQ matches these statistics; the quantiser folds RepBN with them).
/// Convention (docs/fusion.md): the entry names the tensor whose channels the BN normalises *as it exists
/// after fusion*. A BN fed by <c>Transpose(X, (0, r−1, 1, …, r−2))</c> (RepBN's (B, N, C) → (B, C, N)) is
/// recorded against X with <see cref="BnStatistic.ChannelAxis"/> = r − 1 (the last axis); any other BN
/// against its own input with channel axis 1.
/// </summary>
public static class BnStatisticsCapture
{
    /// <summary>Adds an entry for every BN not recorded yet (by node name); returns how many were added.</summary>
    public static int Capture(Graph graph)
    {
        var g = new GraphView(graph);
        var known = new HashSet<string>(graph.BnStatistics.Select(s => s.NodeName), StringComparer.Ordinal);
        int added = 0;
        foreach (var bn in graph.Nodes)
        {
            if (bn.Domain.Length != 0 || bn.OpType != "BatchNormalization" || bn.Inputs.Count < 5 || known.Contains(bn.Name)) continue;
            if (!g.TryConstant(bn.Inputs[3], out var mean) || !g.TryConstant(bn.Inputs[4], out var var)
                || mean.Floats is null || var.Floats is null) continue;
            string input = bn.Inputs[0];
            int axis = 1;
            if (g.ProducerOf(input, "Transpose") is { } t && t.GetInts("perm") is { Length: >= 3 } perm && MovesLastToOne(perm))
            {
                input = t.Inputs[0];
                axis = perm.Length - 1;
            }
            graph.BnStatistics.Add(new BnStatistic(bn.Name, input, (float[])mean.Floats.Clone(), (float[])var.Floats.Clone(),
                bn.GetFloat("epsilon", 1e-5f), axis));
            added++;
        }
        return added;
    }

    /// <summary>perm = (0, r−1, 1, 2, …, r−2): channels-last to channels-first.</summary>
    private static bool MovesLastToOne(long[] perm)
    {
        int r = perm.Length;
        if (perm[0] != 0 || perm[1] != r - 1) return false;
        for (int i = 2; i < r; i++) if (perm[i] != i - 1) return false;
        return true;
    }
}
