namespace EdgeNorm.Model.Format;

/// <summary>What a checksum mismatch concerns.</summary>
public enum ChecksumScope
{
    /// <summary>One tensor's bytes do not match its <c>crc32c</c>.</summary>
    Tensor,
    /// <summary>The data section as a whole (including the zero padding between tensors) does not match <c>data_crc32c</c>.</summary>
    DataSection,
    /// <summary>A packed weight's CRC matches but its image is inconsistent (non-zero padding, or column sums that are not the sums of its weights).</summary>
    PackedWeights,
}

/// <summary>One failed check of <see cref="EdgnModel.VerifyChecksums"/>.</summary>
/// <param name="Scope">What the check covered.</param>
/// <param name="TensorName">The tensor concerned, or null for the whole data section.</param>
/// <param name="Message">One line: what was expected and what was found.</param>
public sealed record ChecksumMismatch(ChecksumScope Scope, string? TensorName, string Message)
{
    /// <summary>The message.</summary>
    public override string ToString() => Message;
}

/// <summary>
/// The result of <see cref="EdgnModel.VerifyChecksums"/>: the file parsed, and these are the data checks that
/// failed (empty when everything matches).
/// </summary>
public sealed class ChecksumReport
{
    /// <summary>Every failed check, tensors in file order, the data section last.</summary>
    public IReadOnlyList<ChecksumMismatch> Mismatches { get; }

    /// <summary>How many tensors were checked.</summary>
    public int TensorsChecked { get; }

    /// <summary>How many data bytes were read.</summary>
    public long BytesChecked { get; }

    /// <summary>True when every checksum and packed-weight check passed.</summary>
    public bool IsValid => Mismatches.Count == 0;

    /// <summary>Names of the tensors with a failed check.</summary>
    public IEnumerable<string> CorruptTensors => Mismatches.Where(m => m.TensorName is not null).Select(m => m.TensorName!).Distinct();

    internal ChecksumReport(IReadOnlyList<ChecksumMismatch> mismatches, int tensorsChecked, long bytesChecked)
    {
        Mismatches = mismatches;
        TensorsChecked = tensorsChecked;
        BytesChecked = bytesChecked;
    }

    /// <summary>"OK: …" or one line per mismatch.</summary>
    public override string ToString() => IsValid
        ? $"OK: {TensorsChecked} tensors, {BytesChecked} data bytes"
        : string.Join(Environment.NewLine, Mismatches.Select(m => m.Message));
}
