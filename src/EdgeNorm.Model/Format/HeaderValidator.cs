using System.Globalization;
using EdgeNorm.Model.Ir;

namespace EdgeNorm.Model.Format;

/// <summary>
/// Turns the on-disk JSON header into the typed <see cref="EdgnHeader"/>, checking every rule of
/// docs/format.md §4–§6 on the way. The first broken rule throws a <see cref="ModelFormatException"/>
/// naming the field and what was expected. Used by the reader and, before anything is written, by the builder.
/// </summary>
internal static class HeaderValidator
{
    public static EdgnHeader Validate(HeaderDto? dto, long dataLength)
    {
        if (dto is null) throw Fail("header JSON is 'null', expected an object");

        var tensors = ValidateTensors(Required(dto.Tensors, "tensors"), dataLength);
        var tensorByName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);

        // Graph values: where each name comes from, for messages and for reference checks.
        var origin = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var t in tensors) origin[t.Name] = "a stored tensor";

        var inputs = new List<EdgnValue>();
        var dtoInputs = Required(dto.Inputs, "inputs");
        if (dtoInputs.Count == 0) throw Fail("'inputs' is empty; a model needs at least one input");
        for (int i = 0; i < dtoInputs.Count; i++)
        {
            var v = ValidateValue(dtoInputs[i], $"inputs[{i}]", allowDynamic: true);
            if (origin.TryGetValue(v.Name, out var o)) throw Fail($"input '{v.Name}': name already used by {o}");
            origin[v.Name] = "a graph input";
            inputs.Add(v);
        }

        var nodes = ValidateNodes(Required(dto.Nodes, "nodes"), origin);

        var outputs = new List<EdgnValue>();
        var outputNames = new HashSet<string>(StringComparer.Ordinal);
        var dtoOutputs = Required(dto.Outputs, "outputs");
        if (dtoOutputs.Count == 0) throw Fail("'outputs' is empty; a model needs at least one output");
        for (int i = 0; i < dtoOutputs.Count; i++)
        {
            var v = ValidateValue(dtoOutputs[i], $"outputs[{i}]", allowDynamic: true);
            if (!outputNames.Add(v.Name)) throw Fail($"output '{v.Name}' is listed twice");
            if (!origin.ContainsKey(v.Name))
                throw Fail($"output '{v.Name}' is not produced by any node and is neither an input nor a stored tensor");
            outputs.Add(v);
        }

        var values = new List<EdgnValue>();
        var described = new HashSet<string>(inputs.Select(v => v.Name).Concat(outputNames), StringComparer.Ordinal);
        var dtoValues = dto.Values ?? [];
        for (int i = 0; i < dtoValues.Count; i++)
        {
            var v = ValidateValue(dtoValues[i], $"values[{i}]", allowDynamic: true);
            if (!origin.TryGetValue(v.Name, out var o) || !o.StartsWith("the output of node", StringComparison.Ordinal))
                throw Fail($"value '{v.Name}' is not the output of any node");
            if (!described.Add(v.Name)) throw Fail($"value '{v.Name}' is described twice (in 'values' and in inputs/outputs/values)");
            values.Add(v);
        }

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, val) in dto.Metadata ?? [])
        {
            if (k.Length == 0) throw Fail("metadata has an empty key");
            metadata[k] = val ?? throw Fail($"metadata '{k}' is null, expected a string");
        }

        var golden = ValidateGolden(dto.Golden ?? [], inputs, outputs, tensorByName);
        return new EdgnHeader(inputs, outputs, values, nodes, tensors, metadata, golden);
    }

    private static List<EdgnTensor> ValidateTensors(List<TensorDto?> list, long dataLength)
    {
        var result = new List<EdgnTensor>(list.Count);
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < list.Count; i++)
        {
            var t = list[i] ?? throw Fail($"tensors[{i}] is null");
            string name = Name(t.Name, $"tensors[{i}]");
            string what = $"tensor '{name}'";
            if (!names.Add(name)) throw Fail($"tensor name '{name}' is used twice");
            DataType dtype = DType(t.DType, what);
            long[] shape = Shape(t.Shape, what, allowDynamic: false);
            TensorLayout layout = t.Layout switch
            {
                null or "row_major" => TensorLayout.RowMajor,
                "packed_n16k4" => TensorLayout.PackedN16K4,
                _ => throw Fail($"{what}: unknown layout '{t.Layout}', expected 'row_major' or 'packed_n16k4'"),
            };
            long offset = t.Offset ?? throw Fail($"{what}: 'offset' is missing");
            long length = t.Length ?? throw Fail($"{what}: 'length' is missing");
            uint crc = t.Crc32C ?? throw Fail($"{what}: 'crc32c' is missing");
            if (offset < 0 || length < 0) throw Fail($"{what}: offset {offset} and length {length} must be non-negative");
            if (offset % EdgnFormat.Alignment != 0) throw Fail($"{what}: offset {offset} is not a multiple of {EdgnFormat.Alignment}");
            if (offset > dataLength || length > dataLength - offset)
                throw Fail($"{what}: bytes [{offset}, {(ulong)offset + (ulong)length}) run past the end of the {dataLength}-byte data section");

            long expected;
            if (layout == TensorLayout.RowMajor)
            {
                long count = ElementCount(shape, what);
                int size = EdgnDTypes.Size(dtype);
                if (count > long.MaxValue / size) throw Fail($"{what}: shape [{string.Join(",", shape)}] is too large");
                expected = count * size;
                if (length != expected)
                    throw Fail($"{what}: length {length} does not match shape [{string.Join(",", shape)}] × {size}-byte {dtype.Name()} = {expected}");
            }
            else
            {
                if (dtype != DataType.Int8) throw Fail($"{what}: layout packed_n16k4 needs dtype int8, found {dtype.Name()}");
                if (shape.Length != 2) throw Fail($"{what}: layout packed_n16k4 needs shape [N, K], found rank {shape.Length}");
                if (shape[1] > PackedWeights.MaxK) throw Fail($"{what}: K = {shape[1]} exceeds {PackedWeights.MaxK} (int32 column sums could overflow)");
                try { expected = PackedWeights.ByteLength(shape[0], shape[1]); }
                catch (OverflowException) { throw Fail($"{what}: packed shape [{shape[0]},{shape[1]}] is too large"); }
                if (length != expected)
                    throw Fail($"{what}: length {length} does not match packed_n16k4 [{shape[0]},{shape[1]}] = {expected} bytes (panels + column sums)");
            }
            if (length > int.MaxValue) throw Fail($"{what}: {length} bytes exceed the 2 GiB limit for one tensor");

            var quant = Quant(t.Quant, what, dtype, shape);
            if (layout == TensorLayout.PackedN16K4 && quant?.Axis is int ax && ax != 0)
                throw Fail($"{what}: per-channel axis of a packed weight must be 0 (N), found {ax}");
            result.Add(new EdgnTensor(name, dtype, shape, layout, offset, length, crc, quant));
        }

        var byOffset = result.Where(t => t.Length > 0).OrderBy(t => t.Offset).ToList();
        for (int i = 1; i < byOffset.Count; i++)
        {
            var a = byOffset[i - 1];
            var b = byOffset[i];
            if (a.Offset + a.Length > b.Offset)
                throw Fail($"tensor '{a.Name}' [{a.Offset}, {a.Offset + a.Length}) overlaps tensor '{b.Name}' starting at {b.Offset}");
        }
        return result;
    }

    private static List<EdgnNode> ValidateNodes(List<NodeDto?> list, Dictionary<string, string> origin)
    {
        // Producers of all node outputs, to tell "undefined" from "defined later" (topological order).
        var producer = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var n in list)
            foreach (var o in n?.Outputs ?? [])
                if (o is not null && n!.Name is not null) producer.TryAdd(o, n.Name);

        var nodeNames = new HashSet<string>(StringComparer.Ordinal);
        var nodes = new List<EdgnNode>(list.Count);
        for (int i = 0; i < list.Count; i++)
        {
            var n = list[i] ?? throw Fail($"nodes[{i}] is null");
            string name = Name(n.Name, $"nodes[{i}]");
            string what = $"node '{name}'";
            if (!nodeNames.Add(name)) throw Fail($"node name '{name}' is used twice");
            if (string.IsNullOrEmpty(n.Op)) throw Fail($"{what}: 'op' is missing or empty");
            var ins = n.Inputs ?? throw Fail($"{what}: 'inputs' is missing");
            var outs = n.Outputs ?? throw Fail($"{what}: 'outputs' is missing");
            for (int j = 0; j < ins.Length; j++)
            {
                string inp = ins[j] ?? throw Fail($"{what}: inputs[{j}] is null");
                if (inp.Length == 0 || origin.ContainsKey(inp)) continue;
                throw producer.TryGetValue(inp, out var later)
                    ? Fail($"{what}: input '{inp}' is produced by node '{later}', which comes later (nodes must be in topological order)")
                    : Fail($"{what}: input '{inp}' is not a graph input, a stored tensor or an output of an earlier node");
            }
            if (outs.Length == 0) throw Fail($"{what}: 'outputs' is empty");
            for (int j = 0; j < outs.Length; j++)
            {
                string o = outs[j] ?? throw Fail($"{what}: outputs[{j}] is null");
                if (o.Length == 0) throw Fail($"{what}: outputs[{j}] is an empty name");
                if (origin.TryGetValue(o, out var prev)) throw Fail($"{what}: output '{o}' is already defined as {prev}");
                origin[o] = $"the output of node '{name}'";
            }
            var attrs = new List<KeyValuePair<string, EdgnAttribute>>();
            foreach (var (k, a) in n.Attributes ?? [])
            {
                if (k.Length == 0) throw Fail($"{what}: attribute with an empty name");
                attrs.Add(new(k, Attribute(a, $"{what} attribute '{k}'")));
            }
            nodes.Add(new EdgnNode(name, n.Op, ins!, outs!, attrs));
        }
        return nodes;
    }

    private static EdgnAttribute Attribute(AttrDto? a, string what)
    {
        if (a is null) throw Fail($"{what} is null");
        int set = (a.Int is null ? 0 : 1) + (a.Ints is null ? 0 : 1) + (a.Float is null ? 0 : 1)
                  + (a.Floats is null ? 0 : 1) + (a.String is null ? 0 : 1);
        if (set != 1) throw Fail($"{what} must have exactly one of 'int', 'ints', 'float', 'floats', 'string'; found {set}");
        if (a.Int is long i) return EdgnAttribute.Of(i);
        if (a.Ints is not null) return EdgnAttribute.Of(a.Ints);
        if (a.Float is float f) return EdgnAttribute.Of(Finite(f, what));
        if (a.Floats is not null) { foreach (float x in a.Floats) Finite(x, what); return EdgnAttribute.Of(a.Floats); }
        return EdgnAttribute.Of(a.String!);
    }

    private static List<EdgnGoldenSet> ValidateGolden(List<GoldenDto?> list, List<EdgnValue> inputs, List<EdgnValue> outputs,
        Dictionary<string, EdgnTensor> tensors)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<EdgnGoldenSet>();
        for (int i = 0; i < list.Count; i++)
        {
            var g = list[i] ?? throw Fail($"golden[{i}] is null");
            string name = Name(g.Name, $"golden[{i}]");
            string what = $"golden set '{name}'";
            if (!names.Add(name)) throw Fail($"golden set name '{name}' is used twice");
            var ins = g.Inputs ?? throw Fail($"{what}: 'inputs' is missing");
            var outs = g.Outputs ?? throw Fail($"{what}: 'outputs' is missing");
            foreach (var v in inputs)
                if (!ins.ContainsKey(v.Name)) throw Fail($"{what}: no tensor for graph input '{v.Name}'");
            if (outs.Count == 0) throw Fail($"{what}: 'outputs' is empty");
            var inMap = GoldenMap(ins, inputs, "input", what, tensors);
            var outMap = GoldenMap(outs, outputs, "output", what, tensors);
            result.Add(new EdgnGoldenSet(name, inMap, outMap));
        }
        return result;
    }

    private static Dictionary<string, string> GoldenMap(Dictionary<string, string?> map, List<EdgnValue> ios, string kind,
        string what, Dictionary<string, EdgnTensor> tensors)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (io, tname) in map)
        {
            var spec = ios.Find(v => v.Name == io) ?? throw Fail($"{what}: '{io}' is not a graph {kind}");
            if (tname is null) throw Fail($"{what}: {kind} '{io}' maps to null, expected a tensor name");
            if (!tensors.TryGetValue(tname, out var t)) throw Fail($"{what}: {kind} '{io}' refers to unknown tensor '{tname}'");
            if (t.Layout != TensorLayout.RowMajor) throw Fail($"{what}: tensor '{tname}' must be row_major");
            if (t.DType != spec.ExternalDType)
                throw Fail($"{what}: tensor '{tname}' is {t.DType.Name()}, graph {kind} '{io}' exchanges {spec.ExternalDType.Name()}");
            bool fits = t.Shape.Count == spec.Shape.Count;
            for (int d = 0; fits && d < t.Shape.Count; d++) fits = spec.Shape[d] < 0 || spec.Shape[d] == t.Shape[d];
            if (!fits)
                throw Fail($"{what}: tensor '{tname}' has shape [{string.Join(",", t.Shape)}], graph {kind} '{io}' is [{string.Join(",", spec.Shape)}]");
            result[io] = tname;
        }
        return result;
    }

    private static EdgnValue ValidateValue(ValueDto? v, string where, bool allowDynamic)
    {
        if (v is null) throw Fail($"{where} is null");
        string name = Name(v.Name, where);
        string what = $"{where.Split('[')[0].TrimEnd('s')} '{name}'";
        DataType dtype = DType(v.DType, what);
        long[] shape = Shape(v.Shape, what, allowDynamic);
        var quant = Quant(v.Quant, what, dtype, shape);
        return new EdgnValue(name, dtype, shape, quant);
    }

    private static QuantParams? Quant(QuantDto? q, string what, DataType dtype, long[] shape)
    {
        if (q is null) return null;
        if (dtype == DataType.Float32) throw Fail($"{what}: float32 cannot carry quantisation parameters");
        var scales = q.Scales ?? throw Fail($"{what}: quant 'scales' is missing");
        var zps = q.ZeroPoints ?? throw Fail($"{what}: quant 'zero_points' is missing");
        long expected = 1;
        if (q.Axis is int axis)
        {
            if (axis < 0 || axis >= shape.Length) throw Fail($"{what}: quant axis {axis} is outside rank {shape.Length}");
            expected = shape[axis];
            if (expected < 0) throw Fail($"{what}: quant axis {axis} is the dynamic axis");
        }
        if (scales.Length != expected || zps.Length != expected)
            throw Fail($"{what}: quant has {scales.Length} scales and {zps.Length} zero points, expected {expected} of each");
        foreach (float s in scales)
            if (!float.IsFinite(s) || s <= 0) throw Fail($"{what}: quant scale {s.ToString("R", CultureInfo.InvariantCulture)} is not finite and positive");
        var (min, max) = EdgnDTypes.Range(dtype);
        foreach (long z in zps)
            if (z < min || z > max) throw Fail($"{what}: zero point {z} is outside the {dtype.Name()} range [{min}, {max}]");
        return new QuantParams(scales, zps, q.Axis);
    }

    private static long[] Shape(long[]? shape, string what, bool allowDynamic)
    {
        if (shape is null) throw Fail($"{what}: 'shape' is missing");
        if (shape.Length > EdgnFormat.MaxRank) throw Fail($"{what}: rank {shape.Length} exceeds {EdgnFormat.MaxRank}");
        for (int d = 0; d < shape.Length; d++)
        {
            if (shape[d] >= 0) continue;
            if (allowDynamic && d == 0 && shape[d] == -1) continue;
            throw Fail(allowDynamic
                ? $"{what}: dimension {d} is {shape[d]}; only axis 0 may be -1 (dynamic), others must be ≥ 0"
                : $"{what}: dimension {d} is {shape[d]}, expected ≥ 0");
        }
        return shape;
    }

    private static long ElementCount(long[] shape, string what)
    {
        long n = 1;
        foreach (long d in shape)
        {
            if (d != 0 && n > long.MaxValue / d) throw Fail($"{what}: element count of shape [{string.Join(",", shape)}] overflows 64 bits");
            n *= d;
        }
        return n;
    }

    private static DataType DType(string? s, string what) => EdgnDTypes.TryParse(s, out var t)
        ? t
        : throw Fail(s is null
            ? $"{what}: 'dtype' is missing"
            : $"{what}: unknown dtype '{s}', expected int8, uint8, int16, int32, int64 or float32");

    private static string Name(string? name, string where) =>
        string.IsNullOrEmpty(name) ? throw Fail($"{where}: 'name' is missing or empty") : name;

    private static List<T> Required<T>(List<T>? list, string field) =>
        list ?? throw Fail($"header field '{field}' is missing");

    private static float Finite(float f, string what) =>
        float.IsFinite(f) ? f : throw Fail($"{what}: float value {f} is not finite");

    private static ModelFormatException Fail(string message) => new(message);
}
