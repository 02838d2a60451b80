using System.Buffers.Binary;

namespace EdgeNorm.Firmware;

/// <summary>Just enough of an ELF header to tell which machine an executable is for (so a bundle never ships the wrong one).</summary>
public static class ElfHeader
{
    /// <summary>e_machine of a 64-bit little-endian ELF file, or null when the file is not one.</summary>
    public static ushort? Machine(string path)
    {
        Span<byte> head = stackalloc byte[20];
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        if (fs.ReadAtLeast(head, head.Length, throwOnEndOfStream: false) < head.Length) return null;
        if (head[0] != 0x7F || head[1] != (byte)'E' || head[2] != (byte)'L' || head[3] != (byte)'F') return null;
        if (head[4] != 2 || head[5] != 1) return null; // ELFCLASS64, ELFDATA2LSB
        return BinaryPrimitives.ReadUInt16LittleEndian(head[18..]);
    }

    public static string Describe(ushort? machine) => machine switch
    {
        null => "not a 64-bit little-endian ELF executable",
        BundleTarget.ElfX64 => "an x86-64 ELF executable",
        BundleTarget.ElfAarch64 => "an AArch64 ELF executable",
        _ => $"an ELF executable for machine {machine}",
    };
}
