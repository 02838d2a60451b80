using EdgeNorm.Model;

namespace EdgeNorm.Calibration;

/// <summary>The quantiser cannot turn this float graph into an integer model (unsupported op or pattern, bad data).</summary>
public sealed class QuantizationException(string message) : EdgeNormException(message);
