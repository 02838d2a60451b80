namespace EdgeNorm.Model;

/// <summary>
/// Base of every error EdgeNorm reports to a user: bad model files, unsupported ONNX ops, wrong input
/// shapes, bad calibration data. The message says what is wrong and what to do; the CLI prints it on
/// one line and exits 2. Anything else escaping is a bug.
/// </summary>
public class EdgeNormException : Exception
{
    public EdgeNormException(string message) : base(message) { }
    public EdgeNormException(string message, Exception inner) : base(message, inner) { }
}
