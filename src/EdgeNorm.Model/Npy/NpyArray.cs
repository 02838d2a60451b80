using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using EdgeNorm.Model.Ir;

namespace EdgeNorm.Model.Npy;

/// <summary>
/// A dense, C-order (row-major) array as stored in a <c>.npy</c> file: element type, shape and the raw
/// little-endian element bytes. Supported element types: bool, int8, uint8, int16, uint16, int32, int64,
/// float32, float64.
/// </summary>
public sealed class NpyArray
{
    private readonly int[] _shape;

    /// <summary>Element type.</summary>
    public DataType DType { get; }

    /// <summary>Shape; empty for a 0-d (scalar) array.</summary>
    public IReadOnlyList<int> Shape => _shape;

    /// <summary>The raw element bytes, little-endian, C order. Bool elements are 0 or 1.</summary>
    public byte[] Data { get; }

    /// <summary>Number of dimensions.</summary>
    public int Rank => _shape.Length;

    /// <summary>Number of elements (1 for a 0-d array).</summary>
    public long Length { get; }

    /// <summary>Wraps raw little-endian bytes (not copied); their length must be elements × element size.</summary>
    public NpyArray(DataType dtype, ReadOnlySpan<int> shape, byte[] data)
    {
        int size = ElementSize(dtype);
        if (size == 0) throw new ArgumentException($"dtype {dtype.Name()} cannot be stored in .npy by EdgeNorm", nameof(dtype));
        _shape = shape.ToArray();
        DType = dtype;
        Length = Tensor.ElementCount(_shape);
        if (data.LongLength != Length * size)
            throw new ArgumentException($"{dtype.Name()}[{string.Join(",", _shape)}] needs {Length * size} bytes, got {data.LongLength}", nameof(data));
        Data = data;
    }

    /// <summary>
    /// An array from typed elements (copied): <c>bool</c>, <c>sbyte</c>, <c>byte</c>, <c>short</c>, <c>ushort</c>,
    /// <c>int</c>, <c>long</c>, <c>float</c>, <c>double</c>.
    /// </summary>
    public static NpyArray Create<T>(ReadOnlySpan<int> shape, ReadOnlySpan<T> data) where T : unmanaged =>
        new(DTypeOf<T>(), shape, MemoryMarshal.AsBytes(data).ToArray());

    /// <summary>The elements as a span of <typeparamref name="T"/>, which must be exactly the element type (no conversion, no copy).</summary>
    public ReadOnlySpan<T> AsSpan<T>() where T : unmanaged
    {
        if (DTypeOf<T>() != DType)
            throw new NpyFormatException($"array is {DType.Name()}, not {DTypeOf<T>().Name()}");
        return MemoryMarshal.Cast<byte, T>(Data);
    }

    /// <summary>The elements as float32 (copied): float64 is rounded, integers and bools converted.</summary>
    public float[] AsFloat32()
    {
        var r = new float[Length];
        switch (DType)
        {
            case DataType.Float32: AsSpan<float>().CopyTo(r); break;
            case DataType.Float64: { var s = AsSpan<double>(); for (int i = 0; i < r.Length; i++) r[i] = (float)s[i]; break; }
            default: { for (int i = 0; i < r.Length; i++) r[i] = IntegerAt(i); break; }
        }
        return r;
    }

    /// <summary>The elements as float64 (copied): float32, integers and bools convert exactly (int64 beyond 2^53 rounds).</summary>
    public double[] AsFloat64()
    {
        var r = new double[Length];
        switch (DType)
        {
            case DataType.Float64: AsSpan<double>().CopyTo(r); break;
            case DataType.Float32: { var s = AsSpan<float>(); for (int i = 0; i < r.Length; i++) r[i] = s[i]; break; }
            default: { for (int i = 0; i < r.Length; i++) r[i] = IntegerAt(i); break; }
        }
        return r;
    }

    /// <summary>The elements of an integer or bool array as int64 (copied); a float array throws <see cref="NpyFormatException"/>.</summary>
    public long[] AsInt64()
    {
        RequireInteger("int64");
        var r = new long[Length];
        for (int i = 0; i < r.Length; i++) r[i] = IntegerAt(i);
        return r;
    }

    /// <summary>The elements of an integer or bool array as int32 (copied); float arrays and values outside int32 throw <see cref="NpyFormatException"/>.</summary>
    public int[] AsInt32()
    {
        RequireInteger("int32");
        var r = new int[Length];
        for (int i = 0; i < r.Length; i++)
        {
            long v = IntegerAt(i);
            if (v is < int.MinValue or > int.MaxValue) throw new NpyFormatException($"element {i} = {v} does not fit in int32");
            r[i] = (int)v;
        }
        return r;
    }

    /// <summary>
    /// Converts to a float IR tensor: float32 and float64 (rounded) become <see cref="DataType.Float32"/>; integer and
    /// bool types keep their type, widened into <see cref="Tensor.Longs"/>.
    /// </summary>
    public Tensor ToTensor() => DType is DataType.Float32 or DataType.Float64
        ? Tensor.FromFloats([.. _shape], AsFloat32())
        : Tensor.FromLongs(DType, [.. _shape], AsInt64());

    /// <summary>
    /// Converts a float IR tensor: float32 stays float32; integer and bool types are narrowed back to their
    /// declared type (a value outside it throws <see cref="ArgumentException"/>).
    /// </summary>
    public static NpyArray FromTensor(Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.IsFloat) return Create<float>(tensor.Shape, tensor.F);
        long[] v = tensor.L;
        int size = ElementSize(tensor.DataType);
        if (size == 0) throw new ArgumentException($"dtype {tensor.DataType.Name()} cannot be stored in .npy by EdgeNorm", nameof(tensor));
        var bytes = new byte[v.LongLength * size];
        var (min, max) = tensor.DataType switch
        {
            DataType.Bool => (0L, 1L),
            DataType.Int8 => (sbyte.MinValue, sbyte.MaxValue),
            DataType.UInt8 => (byte.MinValue, byte.MaxValue),
            DataType.Int16 => (short.MinValue, short.MaxValue),
            DataType.UInt16 => (ushort.MinValue, ushort.MaxValue),
            DataType.Int32 => (int.MinValue, int.MaxValue),
            _ => (long.MinValue, long.MaxValue),
        };
        for (int i = 0; i < v.Length; i++)
        {
            if (v[i] < min || v[i] > max)
                throw new ArgumentException($"element {i} = {v[i]} is outside {tensor.DataType.Name()}", nameof(tensor));
            switch (size)
            {
                case 1: bytes[i] = (byte)v[i]; break;
                case 2: Unsafe.WriteUnaligned(ref bytes[i * 2], (short)v[i]); break;
                case 4: Unsafe.WriteUnaligned(ref bytes[i * 4], (int)v[i]); break;
                default: Unsafe.WriteUnaligned(ref bytes[i * 8], v[i]); break;
            }
        }
        return new NpyArray(tensor.DataType, tensor.Shape, bytes);
    }

    /// <summary>E.g. "float32[2,3]".</summary>
    public override string ToString() => $"{DType.Name()}[{string.Join(",", _shape)}]";

    /// <summary>Bytes per element of <paramref name="t"/> in a .npy file; 0 when unsupported.</summary>
    internal static int ElementSize(DataType t) => t switch
    {
        DataType.Bool or DataType.Int8 or DataType.UInt8 => 1,
        DataType.Int16 or DataType.UInt16 => 2,
        DataType.Int32 or DataType.Float32 => 4,
        DataType.Int64 or DataType.Float64 => 8,
        _ => 0,
    };

    private void RequireInteger(string target)
    {
        if (DType is DataType.Float32 or DataType.Float64)
            throw new NpyFormatException($"array is {DType.Name()}, expected an integer array to read as {target}");
    }

    private long IntegerAt(int i) => DType switch
    {
        DataType.Bool or DataType.UInt8 => Data[i],
        DataType.Int8 => (sbyte)Data[i],
        DataType.Int16 => Unsafe.ReadUnaligned<short>(ref Data[i * 2]),
        DataType.UInt16 => Unsafe.ReadUnaligned<ushort>(ref Data[i * 2]),
        DataType.Int32 => Unsafe.ReadUnaligned<int>(ref Data[i * 4]),
        DataType.Int64 => Unsafe.ReadUnaligned<long>(ref Data[i * 8]),
        _ => throw new NpyFormatException($"array is {DType.Name()}, expected an integer array"),
    };

    private static DataType DTypeOf<T>() where T : unmanaged =>
        typeof(T) == typeof(bool) ? DataType.Bool
        : typeof(T) == typeof(sbyte) ? DataType.Int8
        : typeof(T) == typeof(byte) ? DataType.UInt8
        : typeof(T) == typeof(short) ? DataType.Int16
        : typeof(T) == typeof(ushort) ? DataType.UInt16
        : typeof(T) == typeof(int) ? DataType.Int32
        : typeof(T) == typeof(long) ? DataType.Int64
        : typeof(T) == typeof(float) ? DataType.Float32
        : typeof(T) == typeof(double) ? DataType.Float64
        : throw new ArgumentException($"element type {typeof(T).Name} has no .npy dtype here");
}
