namespace EdgeNorm.Runtime;

/// <summary>Options of an <see cref="InferenceSession"/>.</summary>
public sealed record SessionOptions
{
    /// <summary>The largest batch one call may carry; the session's arena is sized for it once, at creation.</summary>
    public int MaxBatch { get; init; } = 1;
}
