namespace EdgeNorm.Calibration.Report;

/// <summary>
/// Streaming quantisation error of one tensor: float x against its quantise-dequantise at the file's scale and zero
/// point (round half away from zero; saturate at ±(2^(bits−1) − 1), or at the full [−2^(bits−1), 2^(bits−1) − 1]
/// when the grid is asymmetric). Only sums are kept.
/// </summary>
public sealed class TensorError(string name, string dtype, float scale, int bound, long zeroPoint = 0)
{
    private readonly int _low = zeroPoint == 0 ? -bound : -bound - 1;

    private double _signal, _noise, _maxError;
    private long _count, _clipped;

    /// <summary>Float tensor name (an int8 copy of an int16 value is reported under "name.int8").</summary>
    public string Name => name;
    /// <summary>Integer type in the file.</summary>
    public string DType => dtype;
    /// <summary>Scale in the file.</summary>
    public float Scale => scale;
    /// <summary>Values seen.</summary>
    public long Count => _count;
    /// <summary>Signal-to-quantisation-noise ratio in dB (∞ if no error).</summary>
    public double SqnrDb => _noise == 0 ? double.PositiveInfinity : 10 * Math.Log10(_signal / _noise);
    /// <summary>Root mean square error.</summary>
    public double Rmse => _count == 0 ? 0 : Math.Sqrt(_noise / _count);
    /// <summary>Largest |x − deq(q(x))|.</summary>
    public double MaxError => _maxError;
    /// <summary>Fraction of values beyond the clip (saturated).</summary>
    public double ClippedFraction => _count == 0 ? 0 : _clipped / (double)_count;

    /// <summary>Adds a batch of float values.</summary>
    public void Add(ReadOnlySpan<float> x)
    {
        foreach (float v in x)
        {
            if (!float.IsFinite(v)) continue;
            double q = Math.Round(v / (double)scale, MidpointRounding.AwayFromZero) + zeroPoint;
            if (q > bound || q < _low)
            {
                _clipped++;
                q = Math.Clamp(q, _low, bound);
            }
            double e = v - (q - zeroPoint) * scale;
            _signal += (double)v * v;
            _noise += e * e;
            _maxError = Math.Max(_maxError, Math.Abs(e));
            _count++;
        }
    }
}
