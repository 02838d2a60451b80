using EdgeNorm.Model;
using EdgeNorm.Model.Format;
using EdgeNorm.Model.Ir;
using EdgeNorm.Runtime.Execution;

namespace EdgeNorm.Runtime;

/// <summary>Describes one graph input or output as the caller exchanges it.</summary>
/// <param name="Name">The value's name.</param>
/// <param name="ExternalType">float32 for a quantised boundary value; the integer type (e.g. int64 token ids) otherwise.</param>
/// <param name="SampleShape">The shape of one sample (the batch axis removed).</param>
public sealed record TensorInfo(string Name, DataType ExternalType, IReadOnlyList<int> SampleShape)
{
    /// <summary>Elements per sample.</summary>
    public int SampleElements => SampleShape.Aggregate(1, (a, d) => checked(a * d));
}

/// <summary>
/// A loaded integer model: immutable, shareable by any number of sessions on any threads. Loading validates the
/// file, binds every op to its constants and builds the static plan; sessions only add their arena.
/// </summary>
public sealed class EdgeNormModel
{
    internal Plan Plan { get; }

    // The validated file: for a mapped model it stays open (and mapped) for the model's lifetime, since ops read
    // packed weights straight from the mapping (Execution/ModelImage.cs).
    private readonly EdgnModel _file;

    /// <summary>True when the model reads its weights in place from a memory-mapped file (loaded with <see cref="Load(string)"/>).</summary>
    public bool IsMemoryMapped => _file.IsMemoryMapped;

    /// <summary>The graph inputs, in the order of the file.</summary>
    public IReadOnlyList<TensorInfo> Inputs { get; }

    /// <summary>The graph outputs, in the order of the file.</summary>
    public IReadOnlyList<TensorInfo> Outputs { get; }

    /// <summary>The file's metadata (provenance, preprocessing).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    private EdgeNormModel(EdgnModel file, ModelImage image)
    {
        _file = file;
        Plan = Plan.Build(file, image);
        Inputs = Plan.Inputs.Select(Info).ToArray();
        Outputs = Plan.Outputs.Select(Info).ToArray();
        Metadata = new Dictionary<string, string>(file.Header.Metadata, StringComparer.Ordinal);
    }

    private static TensorInfo Info(EdgnValue v) =>
        new(v.Name, v.ExternalDType, v.Shape.Skip(1).Select(d => checked((int)d)).ToArray());

    /// <summary>Loads an <c>.edgn</c> file. Throws <see cref="EdgeNormException"/> (or a subclass) for unreadable or unsupported models.</summary>
    public static EdgeNormModel Load(string path)
    {
        var file = EdgnModel.Open(path);
        try
        {
            return new EdgeNormModel(file, ModelImage.Mapped(file));
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Loads a model image already in memory; the image is referenced (weights are read from it), not copied, so it must not change.</summary>
    public static EdgeNormModel Load(ReadOnlyMemory<byte> image)
    {
        var file = EdgnModel.Load(image);
        return new EdgeNormModel(file, ModelImage.InMemory(file, image));
    }

    /// <summary>A new session (its own arena, sized for <see cref="SessionOptions.MaxBatch"/>).</summary>
    public InferenceSession CreateSession(SessionOptions? options = null) => new(this, options ?? new SessionOptions());
}
