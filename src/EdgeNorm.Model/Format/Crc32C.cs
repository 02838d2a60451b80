using System.Numerics;
using System.Runtime.InteropServices;

namespace EdgeNorm.Model.Format;

/// <summary>
/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78, initial value and final XOR 0xFFFFFFFF) — the
/// checksum of every <c>.edgn</c> section. <see cref="BitOperations.Crc32C(uint, ulong)"/> uses the SSE4.2
/// CRC32 instruction on x64 and the CRC32CX instruction on ARM64, with a table fallback elsewhere, and
/// needs nothing outside the BCL (no OpenSSL on the board). Check value: CRC-32C("123456789") = 0xE3069283.
/// </summary>
public static class Crc32C
{
    /// <summary>CRC-32C of <paramref name="data"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => Finish(Update(Start, data));

    /// <summary>The register value before any byte has been processed (0xFFFFFFFF).</summary>
    public const uint Start = 0xFFFF_FFFFu;

    /// <summary>Feeds <paramref name="data"/> into a running CRC register (start with <see cref="Start"/>).</summary>
    public static uint Update(uint crc, ReadOnlySpan<byte> data)
    {
        ReadOnlySpan<ulong> words = MemoryMarshal.Cast<byte, ulong>(data);
        foreach (ulong w in words) crc = BitOperations.Crc32C(crc, w);
        foreach (byte b in data[(words.Length * 8)..]) crc = BitOperations.Crc32C(crc, b);
        return crc;
    }

    /// <summary>Turns a running register into the checksum (final XOR with 0xFFFFFFFF).</summary>
    public static uint Finish(uint crc) => ~crc;
}
