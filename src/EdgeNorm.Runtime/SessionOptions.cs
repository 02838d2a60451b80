namespace EdgeNorm.Runtime;

/// <summary>Options of an <see cref="InferenceSession"/>.</summary>
public sealed record SessionOptions
{
    /// <summary>The largest batch one call may carry; the session's arena is sized for it once, at creation.</summary>
    public int MaxBatch { get; init; } = 1;

    /// <summary>
    /// The kernel path (null = <see cref="Platform.KernelPaths.Select"/>: EDGENORM_KERNELS, else the fastest usable one).
    /// Every path gives the same bytes; a path this CPU cannot run is a <see cref="SessionConfigurationException"/>.
    /// </summary>
    public Platform.KernelPath? KernelPath { get; init; }

    /// <summary>
    /// Threads per inference (the caller + Threads − 1 workers started with the session, blocked while idle). Output
    /// tiles are split by a fixed partition, so results are identical for any count. Dispose the session to stop them.
    /// </summary>
    public int Threads { get; init; } = 1;
}
