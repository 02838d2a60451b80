using EdgeNorm.Model;

namespace EdgeNorm.Firmware;

/// <summary>A bundle or embed request that cannot be carried out (bad target, missing binary, unreadable bundle).</summary>
public sealed class FirmwareException : EdgeNormException
{
    public FirmwareException(string message) : base(message) { }
    public FirmwareException(string message, Exception inner) : base(message, inner) { }
}
