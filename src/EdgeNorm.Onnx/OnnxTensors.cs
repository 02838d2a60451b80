using System.Buffers.Binary;
using System.Runtime.InteropServices;
using EdgeNorm.Model.Ir;
using EdgeNorm.Onnx.Proto;
using Google.Protobuf;

namespace EdgeNorm.Onnx;

/// <summary>
/// Conversion between ONNX TensorProtos and IR tensors. float32 is kept; float64, float16 and bfloat16 are
/// converted to float32 (the float IR has one float type); every integer type and bool is widened to 64-bit
/// (<see cref="Tensor.Longs"/>). string, uint32, uint64 and complex types are refused.
/// </summary>
public static class OnnxTensors
{
    /// <summary>Largest element count of one tensor (it must fit a .NET array).</summary>
    public const long MaxElements = int.MaxValue - 64;

    /// <summary>Reads a serialised TensorProto (.pb, as in the ONNX backend test data).</summary>
    public static Tensor ReadPb(string path)
    {
        TensorProto proto;
        try
        {
            using var stream = File.OpenRead(path);
            using var input = CodedInputStream.CreateWithLimits(stream, int.MaxValue, 16);
            proto = TensorProto.Parser.ParseFrom(input);
        }
        catch (Exception e) when (e is InvalidProtocolBufferException or IOException or UnauthorizedAccessException)
        {
            throw new OnnxImportException($"{path}: not a readable ONNX TensorProto ({e.Message})", e);
        }
        return FromProto(proto, null, Path.GetFileName(path));
    }

    /// <summary>The ONNX data type name of a TensorProto data_type value.</summary>
    public static string TypeName(int onnxType) => onnxType switch
    {
        1 => "float32", 2 => "uint8", 3 => "int8", 4 => "uint16", 5 => "int16", 6 => "int32", 7 => "int64", 8 => "string",
        9 => "bool", 10 => "float16", 11 => "float64", 12 => "uint32", 13 => "uint64", 14 => "complex64", 15 => "complex128",
        16 => "bfloat16", _ => $"unknown type {onnxType}",
    };

    /// <summary>The IR type an ONNX element type maps to (float64/float16/bfloat16 → float32), or null if unsupported.</summary>
    public static DataType? IrType(int onnxType) => onnxType switch
    {
        1 or 10 or 11 or 16 => DataType.Float32,
        2 or 3 or 4 or 5 or 6 or 7 or 9 => (DataType)onnxType,
        _ => null,
    };

    private static int ElementSize(int t) => t switch
    {
        1 or 6 => 4, 2 or 3 or 9 => 1, 4 or 5 or 10 or 16 => 2, 7 or 11 => 8,
        _ => 0,
    };

    /// <summary>
    /// Converts a TensorProto. <paramref name="externalData"/> resolves data stored outside the file (null refuses it).
    /// </summary>
    public static Tensor FromProto(TensorProto p, ExternalDataReader? externalData, string? what = null)
    {
        string name = what ?? (p.HasName && p.Name.Length > 0 ? $"tensor '{p.Name}'" : "a tensor");
        if (p.Segment is not null) throw new OnnxImportException($"{name} is segmented, which EdgeNorm does not support");
        int t = p.DataType;
        var type = IrType(t) ?? throw new OnnxImportException($"{name} has data type {TypeName(t)}, which EdgeNorm does not support");
        var shape = new int[p.Dims.Count];
        long count = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            long d = p.Dims[i];
            if (d < 0 || d > MaxElements) throw new OnnxImportException($"{name} has an invalid dimension {d}");
            shape[i] = (int)d;
            count *= d;
            if (count > MaxElements) throw new OnnxImportException($"{name} is too large ({string.Join("x", p.Dims)} elements)");
        }
        int n = (int)count;
        int esize = ElementSize(t);

        ReadOnlySpan<byte> raw = default;
        bool hasRaw = false;
        byte[]? external = null;
        if (p.HasDataLocation && p.DataLocation == TensorProto.Types.DataLocation.External)
        {
            if (externalData is null) throw new OnnxImportException($"{name} refers to external data, which is not allowed here");
            external = externalData.Read(p, name, (long)n * esize);
            raw = external;
            hasRaw = true;
        }
        else if (p.HasRawData)
        {
            raw = p.RawData.Span;
            hasRaw = true;
        }

        if (hasRaw)
        {
            if (raw.Length != (long)n * esize)
                throw new OnnxImportException($"{name} has {raw.Length} bytes of data, expected {(long)n * esize} for shape [{string.Join(",", shape)}] of {TypeName(t)}");
            return FromRaw(type, t, shape, raw);
        }

        switch (t)
        {
            case 1:
                Check(name, p.FloatData.Count, n);
                return Tensor.FromFloats(shape, p.FloatData.ToArray());
            case 11:
                Check(name, p.DoubleData.Count, n);
                return Tensor.FromFloats(shape, p.DoubleData.Select(v => (float)v).ToArray());
            case 10:
                Check(name, p.Int32Data.Count, n);
                return Tensor.FromFloats(shape, p.Int32Data.Select(v => (float)BitConverter.UInt16BitsToHalf((ushort)v)).ToArray());
            case 16:
                Check(name, p.Int32Data.Count, n);
                return Tensor.FromFloats(shape, p.Int32Data.Select(v => BitConverter.Int32BitsToSingle((v & 0xFFFF) << 16)).ToArray());
            case 7:
                Check(name, p.Int64Data.Count, n);
                return Tensor.FromLongs(type, shape, p.Int64Data.ToArray());
            default:
                Check(name, p.Int32Data.Count, n);
                var l = new long[n];
                for (int i = 0; i < n; i++) l[i] = Normalize(type, p.Int32Data[i]);
                return Tensor.FromLongs(type, shape, l);
        }
    }

    private static long Normalize(DataType type, long v) => type switch
    {
        DataType.UInt8 => (byte)v,
        DataType.Int8 => (sbyte)v,
        DataType.UInt16 => (ushort)v,
        DataType.Int16 => (short)v,
        DataType.Bool => v != 0 ? 1 : 0,
        _ => v,
    };

    private static void Check(string name, int have, int want)
    {
        if (have != want) throw new OnnxImportException($"{name} has {have} values, expected {want}");
    }

    private static Tensor FromRaw(DataType type, int t, int[] shape, ReadOnlySpan<byte> raw)
    {
        int n = (int)Tensor.ElementCount(shape);
        switch (t)
        {
            case 1:
            {
                var f = new float[n];
                if (BitConverter.IsLittleEndian) MemoryMarshal.Cast<byte, float>(raw).CopyTo(f);
                else for (int i = 0; i < n; i++) f[i] = BinaryPrimitives.ReadSingleLittleEndian(raw[(i * 4)..]);
                return Tensor.FromFloats(shape, f);
            }
            case 11:
            {
                var f = new float[n];
                for (int i = 0; i < n; i++) f[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(raw[(i * 8)..]);
                return Tensor.FromFloats(shape, f);
            }
            case 10:
            {
                var f = new float[n];
                for (int i = 0; i < n; i++) f[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(raw[(i * 2)..]);
                return Tensor.FromFloats(shape, f);
            }
            case 16:
            {
                var f = new float[n];
                for (int i = 0; i < n; i++) f[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(raw[(i * 2)..]) << 16);
                return Tensor.FromFloats(shape, f);
            }
        }
        var l = new long[n];
        switch (type)
        {
            case DataType.UInt8: for (int i = 0; i < n; i++) l[i] = raw[i]; break;
            case DataType.Int8: for (int i = 0; i < n; i++) l[i] = (sbyte)raw[i]; break;
            case DataType.Bool: for (int i = 0; i < n; i++) l[i] = raw[i] != 0 ? 1 : 0; break;
            case DataType.UInt16: for (int i = 0; i < n; i++) l[i] = BinaryPrimitives.ReadUInt16LittleEndian(raw[(i * 2)..]); break;
            case DataType.Int16: for (int i = 0; i < n; i++) l[i] = BinaryPrimitives.ReadInt16LittleEndian(raw[(i * 2)..]); break;
            case DataType.Int32: for (int i = 0; i < n; i++) l[i] = BinaryPrimitives.ReadInt32LittleEndian(raw[(i * 4)..]); break;
            case DataType.Int64:
                if (BitConverter.IsLittleEndian) MemoryMarshal.Cast<byte, long>(raw).CopyTo(l);
                else for (int i = 0; i < n; i++) l[i] = BinaryPrimitives.ReadInt64LittleEndian(raw[(i * 8)..]);
                break;
        }
        return Tensor.FromLongs(type, shape, l);
    }

    /// <summary>Serialises an IR tensor as a TensorProto (raw_data, little-endian), e.g. to build models in tests.</summary>
    public static TensorProto ToProto(Tensor t, string name)
    {
        var p = new TensorProto { Name = name, DataType = (int)t.DataType };
        p.Dims.AddRange(t.Shape.Select(d => (long)d));
        byte[] bytes;
        if (t.Floats is { } f)
        {
            bytes = new byte[f.Length * 4];
            for (int i = 0; i < f.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), f[i]);
        }
        else
        {
            var l = t.L;
            int es = ElementSize((int)t.DataType);
            bytes = new byte[l.Length * es];
            for (int i = 0; i < l.Length; i++)
            {
                var dst = bytes.AsSpan(i * es);
                switch (es)
                {
                    case 1: dst[0] = (byte)l[i]; break;
                    case 2: BinaryPrimitives.WriteInt16LittleEndian(dst, (short)l[i]); break;
                    case 4: BinaryPrimitives.WriteInt32LittleEndian(dst, (int)l[i]); break;
                    default: BinaryPrimitives.WriteInt64LittleEndian(dst, l[i]); break;
                }
            }
        }
        p.RawData = ByteString.CopyFrom(bytes);
        return p;
    }
}
