using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;

namespace EdgeNorm.Model.Tests.Format;

/// <summary>
/// An independent, spec-only implementation of the .edgn container (docs/format.md §2–§3), used to craft files
/// the builder would refuse to write: any JSON header, any version, consistent checksums.
/// </summary>
internal static class RawEdgn
{
    /// <summary>Builds an image from header JSON and a data section, with correct lengths and CRCs.</summary>
    public static byte[] Build(string json, byte[] data, ushort major = 0, ushort minor = 1) =>
        Build(Encoding.UTF8.GetBytes(json), data, major, minor);

    /// <summary>Builds an image from raw header bytes (not necessarily valid UTF-8 or JSON) and a data section.</summary>
    public static byte[] Build(byte[] j, byte[] data, ushort major = 0, ushort minor = 1)
    {
        long dataOffset = (64 + j.Length + 63) / 64 * 64;
        var file = new byte[dataOffset + data.Length];
        "EDGN\r\n\x1a\n"u8.CopyTo(file);
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(8), major);
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(10), minor);
        BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(16), (ulong)j.Length);
        BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(24), (ulong)dataOffset);
        BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(32), (ulong)data.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(40), Crc(data));
        j.CopyTo(file, 64);
        data.CopyTo(file, dataOffset);
        FixHeaderCrc(file);
        return file;
    }

    /// <summary>Recomputes the header CRC (bytes 60–63) after the preamble or JSON was edited in place.</summary>
    public static void FixHeaderCrc(byte[] file)
    {
        long hl = (long)BinaryPrimitives.ReadUInt64LittleEndian(file.AsSpan(16));
        hl = Math.Clamp(hl, 0, file.Length - 64);
        byte[] covered = [.. file.AsSpan(0, 60), .. file.AsSpan(64, (int)hl)];
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(60), Crc(covered));
    }

    /// <summary>The JSON header and data section of a well-formed image.</summary>
    public static (string Json, byte[] Data) Split(byte[] file)
    {
        int hl = (int)BinaryPrimitives.ReadUInt64LittleEndian(file.AsSpan(16));
        int dataOffset = (int)BinaryPrimitives.ReadUInt64LittleEndian(file.AsSpan(24));
        return (Encoding.UTF8.GetString(file, 64, hl), file[dataOffset..]);
    }

    /// <summary>Rebuilds <paramref name="file"/> after <paramref name="edit"/> changed its parsed JSON header.</summary>
    public static byte[] EditJson(byte[] file, Action<JsonObject> edit)
    {
        var (json, data) = Split(file);
        var root = JsonNode.Parse(json)!.AsObject();
        edit(root);
        return Build(root.ToJsonString(), data);
    }

    /// <summary>Bitwise CRC-32C, straight from the definition (reflected 0x82F63B78, init and final XOR ~0).</summary>
    public static uint Crc(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int i = 0; i < 8; i++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
        }
        return ~crc;
    }
}
