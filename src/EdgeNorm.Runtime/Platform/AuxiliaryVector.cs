using System.Buffers.Binary;

namespace EdgeNorm.Runtime.Platform;

/// <summary>
/// The ELF auxiliary vector the kernel hands every process (/proc/self/auxv): 64-bit little-endian (key, value)
/// pairs ending with key 0. On arm64 it is where the CPU features come from (AT_HWCAP / AT_HWCAP2) — the same source
/// the .NET runtime uses, and the only one that is right under qemu-user, which shows the host's /proc/cpuinfo.
/// </summary>
internal static class AuxiliaryVector
{
    public const ulong AtHwcap = 16;
    public const ulong AtHwcap2 = 26;
    private const int EntryBytes = 16; // two 64-bit words (64-bit processes only)

    /// <summary>The value of <paramref name="key"/> in an auxv image, or null when absent or the image ends first.</summary>
    public static ulong? Find(ReadOnlySpan<byte> image, ulong key)
    {
        for (int at = 0; at + EntryBytes <= image.Length; at += EntryBytes)
        {
            ulong k = BinaryPrimitives.ReadUInt64LittleEndian(image[at..]);
            if (k == 0) break; // AT_NULL ends the vector
            if (k == key) return BinaryPrimitives.ReadUInt64LittleEndian(image[(at + 8)..]);
        }
        return null;
    }

    /// <summary>This process's auxv, or null where there is none to read (not Linux, no /proc).</summary>
    public static byte[]? ReadCurrent()
    {
        try
        {
            return File.ReadAllBytes("/proc/self/auxv");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            return null;
        }
    }
}
