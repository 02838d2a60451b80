using EdgeNorm.Model;

namespace EdgeNorm.Calibration.MetaAug;

/// <summary>MetaAug cannot run on this model or with these settings; the message says why and what to do instead.</summary>
public sealed class MetaAugException(string message) : EdgeNormException(message);
