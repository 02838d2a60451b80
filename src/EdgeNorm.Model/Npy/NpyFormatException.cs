namespace EdgeNorm.Model.Npy;

/// <summary>
/// A NumPy <c>.npy</c> file that cannot be read (bad magic, malformed header, unsupported dtype, big-endian or
/// Fortran-order data, truncated data, absurd shape), or an array used as a type it does not hold. The
/// one-line message says what is wrong and, where there is one, how to fix it in NumPy.
/// </summary>
public sealed class NpyFormatException : EdgeNormException
{
    /// <summary>Creates the exception with a one-line message.</summary>
    public NpyFormatException(string message) : base(message) { }

    /// <summary>Creates the exception with a one-line message and the underlying cause.</summary>
    public NpyFormatException(string message, Exception inner) : base(message, inner) { }
}
