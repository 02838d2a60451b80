namespace EdgeNorm.Model.Format;

/// <summary>
/// A <c>.edgn</c> image that cannot be used as a model: truncated, corrupted header, wrong magic or
/// version, an out-of-range offset, an inconsistent header. The one-line message names the field or
/// tensor and what was expected versus found. (Corrupted tensor <em>data</em> is not an exception: the
/// file still opens and <see cref="EdgnModel.VerifyChecksums"/> names the damaged tensors.)
/// </summary>
public sealed class ModelFormatException : EdgeNormException
{
    /// <summary>Creates the exception with a one-line message.</summary>
    public ModelFormatException(string message) : base(message) { }

    /// <summary>Creates the exception with a one-line message and the underlying cause.</summary>
    public ModelFormatException(string message, Exception inner) : base(message, inner) { }
}
