using EdgeNorm.Model;

namespace EdgeNorm.Calibration.ZeroQ;

/// <summary>ZeroQ cannot run on this model (no BN statistics, no float image-like input, bad options); the message says why and what to do instead.</summary>
public sealed class ZeroQException(string message) : EdgeNormException(message);
