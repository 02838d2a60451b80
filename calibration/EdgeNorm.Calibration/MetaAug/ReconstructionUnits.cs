using EdgeNorm.Model.Ir;

namespace EdgeNorm.Calibration.MetaAug;

/// <summary>One reconstruction unit: the nodes up to (and including) the producer of <see cref="Output"/>.</summary>
public sealed record ReconstructionUnit(string Output, IReadOnlySet<string> Nodes);

/// <summary>
/// Splits a fused graph into reconstruction units, transformer block by block: a pre-norm block has two residual joins
/// (attention, MLP), so a unit ends at every second Add of two computed tensors; the last unit (the head) ends at
/// the first graph output. The stem (patch embedding) belongs to the first block.
/// </summary>
public static class ReconstructionUnits
{
    public static List<ReconstructionUnit> Find(Graph graph)
    {
        var order = Float.GraphOrder.Sort(graph);
        var units = new List<ReconstructionUnit>();
        var current = new HashSet<string>(StringComparer.Ordinal);
        int joins = 0;
        foreach (var n in order)
        {
            current.Add(n.Name);
            bool residual = !n.IsFused && n.OpType == "Add" && n.Inputs.Count == 2
                && n.Inputs.All(i => !graph.Initializers.ContainsKey(i));
            if (residual && ++joins % 2 == 0)
            {
                units.Add(new ReconstructionUnit(n.Outputs[0], current));
                current = new HashSet<string>(StringComparer.Ordinal);
            }
        }
        if (current.Count > 0) units.Add(new ReconstructionUnit(graph.Outputs[0].Name, current));
        return units;
    }
}
