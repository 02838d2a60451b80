namespace EdgeNorm.Onnx;

/// <summary>Options of <see cref="OnnxModelLoader"/>.</summary>
public sealed record OnnxLoadOptions
{
    /// <summary>Largest model file accepted (protobuf itself cannot exceed 2 GiB; bigger weights go to external data).</summary>
    public long MaxModelBytes { get; init; } = int.MaxValue;

    /// <summary>Nesting depth limit of the protobuf parser (ONNX models nest only a few levels).</summary>
    public int RecursionLimit { get; init; } = 64;

    /// <summary>Largest total size of external data files read for one model.</summary>
    public long MaxExternalBytes { get; init; } = 16L << 30;

    /// <summary>Run shape inference, constant folding and dead-node removal (default). False keeps the graph as parsed (still sorted).</summary>
    public bool Optimize { get; init; } = true;

    /// <summary>Refuse the model when some node has no float op (default). False leaves that to the caller.</summary>
    public bool CheckSupportedOps { get; init; } = true;

    /// <summary>
    /// Values for symbolic dims other than the batch, e.g. { "sequence": 128 } for an encoder exported with a dynamic
    /// sequence length. Bound before folding, so shape arithmetic on them folds too.
    /// </summary>
    public IReadOnlyDictionary<string, long>? DimValues { get; init; }

    /// <summary>Constant folding does not materialise a tensor larger than this many elements (nor larger than its biggest input).</summary>
    public long MaxFoldedElements { get; init; } = 1 << 20;
}
