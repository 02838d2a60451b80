using EdgeNorm.Model;
using EdgeNorm.Model.Format;
using EdgeNorm.Model.Ir;
using EdgeNorm.Runtime.Numerics;

namespace EdgeNorm.Runtime.Execution;

/// <summary>Reads a node's stored tensors and attributes into the arrays its op keeps (at load, once).</summary>
internal sealed class Constants(EdgnModel file, EdgnNode node, ModelImage? image = null)
{
    public EdgnNode Node => node;

    public EdgnTensor Tensor(int input)
    {
        if (input >= node.Inputs.Count || node.Inputs[input].Length == 0)
            throw new UnsupportedModelException($"node '{node.Name}' ({node.OpType}): input #{input} is missing");
        if (!file.Header.TryGetTensor(node.Inputs[input], out var t))
            throw new UnsupportedModelException($"node '{node.Name}' ({node.OpType}): input #{input} '{node.Inputs[input]}' must be a stored tensor");
        return t;
    }

    public T[] Array<T>(int input, DataType dtype, long? count = null) where T : unmanaged
    {
        var t = Tensor(input);
        if (t.DType != dtype || t.IsPacked)
            throw new UnsupportedModelException($"node '{node.Name}': tensor '{t.Name}' must be row-major {dtype.Name()}, is {t.DType.Name()}");
        if (count is long c && t.ElementCount != c)
            throw new UnsupportedModelException($"node '{node.Name}': tensor '{t.Name}' has {t.ElementCount} elements, expected {c}");
        return file.GetTensorData<T>(t.Name).ToArray();
    }

    public byte[] Bytes(int input)
    {
        var t = Tensor(input);
        if (t.IsPacked) throw new UnsupportedModelException($"node '{node.Name}': tensor '{t.Name}' must be row-major");
        return file.GetTensorData(t.Name).ToArray();
    }

    /// <summary>A packed GEMM weight in the canonical layout (format.md §5.2), as the kernels read it.</summary>
    public byte[] PackedWeight(int input, out int n, out int k)
    {
        var t = Tensor(input);
        if (!t.IsPacked || t.DType != DataType.Int8 || t.Shape.Count != 2)
            throw new UnsupportedModelException($"node '{node.Name}': '{t.Name}' must be a packed int8 [N, K] weight");
        n = checked((int)t.Shape[0]);
        k = checked((int)t.Shape[1]);
        return file.GetTensorData(t.Name).ToArray();
    }

    /// <summary>
    /// A packed GEMM weight in the canonical layout (format.md §5.2) read in place: a view of the memory-mapped
    /// file (or of the caller's image), no copy — the model's resident size is then mostly the mapping. Use
    /// <c>.Span</c> per call; the model keeps the mapping alive.
    /// </summary>
    public ReadOnlyMemory<byte> PackedWeightMemory(int input, out int n, out int k)
    {
        var t = Tensor(input);
        if (!t.IsPacked || t.DType != DataType.Int8 || t.Shape.Count != 2)
            throw new UnsupportedModelException($"node '{node.Name}': '{t.Name}' must be a packed int8 [N, K] weight");
        n = checked((int)t.Shape[0]);
        k = checked((int)t.Shape[1]);
        return image is null ? file.GetTensorData(t.Name).ToArray() : image.Tensor(t);
    }

    public DyadicMultiplier[] Multipliers(int multInput, int shiftInput, int count)
    {
        var m = Array<int>(multInput, DataType.Int32, count);
        var s = Array<int>(shiftInput, DataType.Int32, count);
        var result = new DyadicMultiplier[count];
        for (int i = 0; i < count; i++) result[i] = Multiplier(m[i], s[i]);
        return result;
    }

    public DyadicMultiplier Multiplier(string attribute)
    {
        var v = node.GetInts(attribute);
        if (v is null || v.Count != 2)
            throw new UnsupportedModelException($"node '{node.Name}': attribute '{attribute}' must be [multiplier, shift]");
        return Multiplier(checked((int)v[0]), checked((int)v[1]));
    }

    public long Int(string attribute)
    {
        if (!node.Attributes.TryGetValue(attribute, out var a) || a.Kind != EdgnAttributeKind.Int)
            throw new UnsupportedModelException($"node '{node.Name}': integer attribute '{attribute}' is missing");
        return a.Int;
    }

    /// <summary>An optional integer attribute (absent in files written before it existed): its value, or <paramref name="fallback"/>.</summary>
    public long IntOrDefault(string attribute, long fallback) =>
        node.Attributes.TryGetValue(attribute, out var a) ? (a.Kind == EdgnAttributeKind.Int ? a.Int
            : throw new UnsupportedModelException($"node '{node.Name}': attribute '{attribute}' must be an integer")) : fallback;

    public IReadOnlyList<long> Ints(string attribute) => node.GetInts(attribute)
        ?? throw new UnsupportedModelException($"node '{node.Name}': attribute '{attribute}' is missing");

    public string String(string attribute) => node.GetString(attribute)
        ?? throw new UnsupportedModelException($"node '{node.Name}': string attribute '{attribute}' is missing");

    private DyadicMultiplier Multiplier(int m, int s)
    {
        if (m < DyadicMultiplier.MinMultiplier || s < DyadicMultiplier.MinShift || s > DyadicMultiplier.MaxShift)
            throw new UnsupportedModelException($"node '{node.Name}': invalid dyadic multiplier {m}/2^{s}");
        return new DyadicMultiplier(m, s);
    }
}
