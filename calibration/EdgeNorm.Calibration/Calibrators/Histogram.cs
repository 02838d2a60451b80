namespace EdgeNorm.Calibration.Calibrators;

/// <summary>
/// A fixed-range histogram with <c>numpy.histogram</c>'s binning: edges are <c>numpy.linspace(lo, hi, bins + 1)</c>
/// (computed in double, stored as float32, as numpy does for float32 data), bin i holds edges[i] ≤ x &lt; edges[i+1],
/// the last bin includes hi, values outside [lo, hi] and NaN are not counted. The same edges as the reference
/// definitions (ONNX Runtime's calibrators are numpy code) keep thresholds comparable bit for bit.
/// </summary>
public sealed class Histogram
{
    private readonly double _lo, _width;

    /// <summary>Bin counts.</summary>
    public long[] Counts { get; }

    /// <summary>bins + 1 edges.</summary>
    public float[] Edges { get; }

    /// <summary>Number of bins.</summary>
    public int Bins => Counts.Length;

    /// <summary>An empty histogram over [lo, hi] (lo &lt; hi).</summary>
    public Histogram(int bins, float lo, float hi)
    {
        if (bins < 1) throw new ArgumentOutOfRangeException(nameof(bins));
        if (!(lo < hi)) throw new ArgumentException($"empty histogram range [{lo}, {hi}]");
        Counts = new long[bins];
        Edges = new float[bins + 1];
        _lo = lo;
        _width = ((double)hi - lo) / bins;
        for (int i = 0; i < bins; i++) Edges[i] = (float)(i * _width + lo);
        Edges[bins] = hi;
    }

    /// <summary>Counts every value (or its absolute value).</summary>
    public void Add(ReadOnlySpan<float> values, bool absolute = false)
    {
        int last = Counts.Length - 1;
        float lo = Edges[0], hi = Edges[^1];
        foreach (float raw in values)
        {
            float v = absolute ? Math.Abs(raw) : raw;
            if (!(v >= lo && v <= hi)) continue; // NaN and out of range
            int i = (int)Math.Min(last, (v - _lo) / _width);
            // the division can miss an edge by an ulp; the edges decide, as in numpy
            if (i > 0 && v < Edges[i]) i--;
            else if (i < last && v >= Edges[i + 1]) i++;
            Counts[i]++;
        }
    }
}
