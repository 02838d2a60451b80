using System.Diagnostics;

namespace EdgeNorm.Cli.Bench;

/// <summary>Latency summary of a bench run: nearest-rank percentiles over the per-inference Stopwatch ticks.</summary>
internal sealed class LatencyStats
{
    private readonly double[] _ms;

    public LatencyStats(IReadOnlyList<long> ticks, double wallSeconds)
    {
        _ms = ticks.Select(t => t * 1000.0 / Stopwatch.Frequency).Order().ToArray();
        if (_ms.Length == 0) throw new ArgumentException("no samples", nameof(ticks));
        WallSeconds = wallSeconds;
    }

    public int Count => _ms.Length;
    public double WallSeconds { get; }

    /// <summary>The smallest sample with at least a fraction <paramref name="q"/> of samples at or below it.</summary>
    public double Percentile(double q) => _ms[Math.Clamp((int)Math.Ceiling(q * _ms.Length) - 1, 0, _ms.Length - 1)];

    public double Min => _ms[0];
    public double Max => _ms[^1];
    public double Mean => _ms.Average();
    public double Sum => _ms.Sum();
    public double PerSecond => Count / WallSeconds;
}
