using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("EdgeNorm.Model.Tests")]

namespace EdgeNorm.Model.Format;

/// <summary>A <c>.edgn</c> format version: <c>major.minor</c>.</summary>
public readonly record struct EdgnVersion(ushort Major, ushort Minor) : IComparable<EdgnVersion>
{
    /// <inheritdoc/>
    public int CompareTo(EdgnVersion other) => Major != other.Major ? Major.CompareTo(other.Major) : Minor.CompareTo(other.Minor);

    /// <summary>"major.minor", e.g. "0.1".</summary>
    public override string ToString() => $"{Major}.{Minor}";
}

/// <summary>Constants of the <c>.edgn</c> layout (docs/format.md is the specification).</summary>
public static class EdgnFormat
{
    /// <summary>The version this library writes and the only one it reads (pre-1.0 every change is breaking).</summary>
    public static EdgnVersion CurrentVersion { get; } = new(0, 1);

    /// <summary>The 8 magic bytes: "EDGN" 0D 0A 1A 0A (a CR-LF, a DOS end-of-file and an LF, as in PNG).</summary>
    public static ReadOnlySpan<byte> Magic => [0x45, 0x44, 0x47, 0x4E, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Size of the fixed binary preamble; the JSON header starts right after it.</summary>
    public const int PreambleSize = 64;

    /// <summary>Alignment of the data section and of every tensor in it, in bytes.</summary>
    public const int Alignment = 64;

    /// <summary>Largest JSON header a reader accepts (64 MiB).</summary>
    public const long MaxHeaderLength = 64L << 20;

    /// <summary>Largest tensor rank a reader accepts.</summary>
    public const int MaxRank = 32;

    /// <summary>The file extension, with its dot.</summary>
    public const string Extension = ".edgn";

    internal const int OffMajor = 8, OffMinor = 10, OffFlags = 12, OffHeaderLength = 16, OffDataOffset = 24,
        OffDataLength = 32, OffDataCrc = 40, OffReserved = 44, OffHeaderCrc = 60;

    internal static long AlignUp(long x) => (x + (Alignment - 1)) & ~(long)(Alignment - 1);
}
