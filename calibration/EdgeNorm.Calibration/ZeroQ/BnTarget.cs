namespace EdgeNorm.Calibration.ZeroQ;

/// <summary>
/// One matched tensor: the statistics its channels should have. For a BN input these are the running mean and
/// √(running var + ε); for the input term, 0 and 1.
/// </summary>
public sealed record BnTarget(string Name, string Tensor, int ChannelAxis, double[] Mean, double[] Std);
