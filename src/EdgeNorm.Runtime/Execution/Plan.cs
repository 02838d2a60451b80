using EdgeNorm.Model.Format;
using EdgeNorm.Model.Ir;
using EdgeNorm.Runtime.Ops;

namespace EdgeNorm.Runtime.Execution;

/// <summary>
/// The static plan of a model: value slots, ops in topological (file) order bound to their constants, and for each
/// value the index of the last op that reads it — from which a session lays out its one arena.
/// </summary>
internal sealed class Plan
{
    public required ValueSlot[] Slots { get; init; }
    public required IntegerOp[] Ops { get; init; }
    public required int[] InputSlots { get; init; }
    public required int[] OutputSlots { get; init; }
    public required EdgnValue[] Inputs { get; init; }
    public required EdgnValue[] Outputs { get; init; }

    /// <param name="file">The validated model.</param>
    /// <param name="image">Where ops read large constants in place (null: copies).</param>
    public static Plan Build(EdgnModel file, ModelImage? image = null)
    {
        var h = file.Header;
        var slots = new List<ValueSlot>();
        var byName = new Dictionary<string, int>(StringComparer.Ordinal);
        var described = new Dictionary<string, EdgnValue>(StringComparer.Ordinal);
        foreach (var v in h.Values.Concat(h.Outputs)) described[v.Name] = v;

        int Add(EdgnValue v)
        {
            if (v.Shape.Count == 0 || v.Shape[0] != -1)
                throw new UnsupportedModelException($"value '{v.Name}': the integer executor needs a dynamic batch axis (-1) first");
            int[] sample = v.Shape.Skip(1).Select(d => checked((int)d)).ToArray();
            if (EdgnDTypes.Size(v.DType) == 0 || v.DType == DataType.Float32)
                throw new UnsupportedModelException($"value '{v.Name}': {v.DType.Name()} is not an integer type");
            slots.Add(new ValueSlot
            {
                Name = v.Name, DType = v.DType, SampleShape = sample, Quant = v.Quant,
                SampleElements = checked((int)sample.Aggregate(1L, (a, d) => a * d)),
            });
            byName[v.Name] = slots.Count - 1;
            return slots.Count - 1;
        }

        var inputSlots = h.Inputs.Select(Add).ToArray();
        var ops = new List<IntegerOp>();
        foreach (var node in h.Nodes)
        {
            var ins = node.Inputs.Select(i => i.Length == 0 ? -1 : byName.TryGetValue(i, out int id) ? id : h.TryGetTensor(i, out _) ? -1
                : throw new UnsupportedModelException($"node '{node.Name}': input '{i}' is neither a value nor a stored tensor")).ToArray();
            var outs = node.Outputs.Select(o => described.TryGetValue(o, out var v) ? Add(v)
                : throw new UnsupportedModelException($"node '{node.Name}': output '{o}' has no value description (dtype, shape)")).ToArray();
            if (ins.Length == 0 || ins[0] < 0)
                throw new UnsupportedModelException($"node '{node.Name}': its first input must be a value");
            var c = new Constants(file, node, image);
            var x = slots[ins[0]];
            var y = slots[outs[0]];
            IntegerOp op = node.OpType switch
            {
                IntegerOpNames.Linear => new LinearOp(c, y.DType, x.SampleElements) { Name = node.Name, Inputs = ins, Outputs = outs },
                IntegerOpNames.PatchEmbed => new PatchEmbedOp(c, x.SampleShape, new LinearOp(c, y.DType, 0) { Name = node.Name, Inputs = ins, Outputs = outs })
                { Name = node.Name, Inputs = ins, Outputs = outs },
                IntegerOpNames.Attention => new AttentionOp(c, x.SampleShape[^2], x.SampleShape[^1], packed: ins.Length < 2 || ins[1] < 0,
                    masked: ins.Length > 3 && ins[3] >= 0) { Name = node.Name, Inputs = ins, Outputs = outs },
                IntegerOpNames.Norm => new NormOp(c, x.SampleShape[^1], y.DType) { Name = node.Name, Inputs = ins, Outputs = outs },
                IntegerOpNames.Requant => new RequantOp(c) { Name = node.Name, Inputs = ins, Outputs = outs },
                IntegerOpNames.Embedding => new EmbeddingOp(c) { Name = node.Name, Inputs = ins, Outputs = outs },
                IntegerOpNames.ChannelAffine => new ChannelAffineOp(c, x.SampleShape[^1]) { Name = node.Name, Inputs = ins, Outputs = outs },
                IntegerOpNames.Lookup => new LookupOp(c) { Name = node.Name, Inputs = ins, Outputs = outs },
                IntegerOpNames.Gelu => new GeluOp(c) { Name = node.Name, Inputs = ins, Outputs = outs },
                IntegerOpNames.Add => new AddOp(c) { Name = node.Name, Inputs = ins, Outputs = outs },
                IntegerOpNames.AddConstant => new AddConstantOp(c, x.SampleElements) { Name = node.Name, Inputs = ins, Outputs = outs },
                IntegerOpNames.PrependToken => new PrependTokenOp(c, x.DType, x.SampleElements * x.ElementSize) { Name = node.Name, Inputs = ins, Outputs = outs },
                IntegerOpNames.SelectToken => new SelectTokenOp(c, x.SampleShape[0], x.SampleShape[^1] * x.ElementSize) { Name = node.Name, Inputs = ins, Outputs = outs },
                _ => throw new UnsupportedModelException($"node '{node.Name}': integer op '{node.OpType}' is not supported by this runtime"),
            };
            ops.Add(op);
        }
        var outputSlots = h.Outputs.Select(o => byName.TryGetValue(o.Name, out int id) ? id
            : throw new UnsupportedModelException($"graph output '{o.Name}' is not produced by any node")).ToArray();
        return new Plan
        {
            Slots = slots.ToArray(), Ops = ops.ToArray(), InputSlots = inputSlots, OutputSlots = outputSlots,
            Inputs = h.Inputs.ToArray(), Outputs = h.Outputs.ToArray(),
        };
    }

    /// <summary>Arena offsets for <paramref name="maxBatch"/>: a value lives from its producer to its last reader; first fit, 64-byte aligned.</summary>
    public long[] Layout(int maxBatch, out long arenaBytes, out long scratchBytes)
    {
        int n = Slots.Length;
        var born = new int[n];
        var dies = new int[n];
        Array.Fill(born, -1);
        Array.Fill(dies, -1);
        for (int s = 0; s < Ops.Length; s++)
        {
            foreach (int o in Ops[s].Outputs) born[o] = s;
            foreach (int i in Ops[s].Inputs) if (i >= 0) dies[i] = Math.Max(dies[i], s);
        }
        foreach (int o in OutputSlots) dies[o] = int.MaxValue;
        foreach (int i in InputSlots) born[i] = -1;
        var offsets = new long[n];
        var placed = new List<(long Start, long End, int Born, int Dies)>();
        arenaBytes = 0;
        for (int v = 0; v < n; v++)
        {
            long size = (Slots[v].Bytes(maxBatch) + 63) & ~63L;
            int b = born[v], d = Math.Max(dies[v], b);
            long start = 0;
            bool moved = true;
            while (moved)
            {
                moved = false;
                foreach (var p in placed)
                    if (p.Born <= d && b <= p.Dies && start < p.End && p.Start < start + size)
                    {
                        start = p.End;
                        moved = true;
                    }
            }
            offsets[v] = start;
            placed.Add((start, start + size, b, d));
            arenaBytes = Math.Max(arenaBytes, start + size);
        }
        scratchBytes = Ops.Length == 0 ? 0 : Ops.Max(o => o.ScratchBytes(maxBatch));
        return offsets;
    }
}
