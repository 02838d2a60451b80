using EdgeNorm.Model;

namespace EdgeNorm.Calibration.Autodiff;

/// <summary>
/// A gradient tape cannot be built for a graph: an op on the differentiated path has no backward rule, a weight
/// was asked to be differentiated, or an integer result depends on the value of a differentiated input.
/// </summary>
public sealed class GradientException(string message) : EdgeNormException(message);
