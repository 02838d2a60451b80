namespace EdgeNorm.Model.Ir;

/// <summary>
/// A dense, row-major tensor of the float IR. Float32 data lives in <see cref="Floats"/>; every integer
/// and bool type lives widened in <see cref="Longs"/> (shape arithmetic, indices, masks), so float
/// kernels see one float type and one integer type.
/// </summary>
public sealed class Tensor
{
    public DataType DataType { get; }
    public int[] Shape { get; }
    public float[]? Floats { get; }
    public long[]? Longs { get; }

    private Tensor(DataType dataType, int[] shape, float[]? floats, long[]? longs)
    {
        DataType = dataType;
        Shape = shape;
        Floats = floats;
        Longs = longs;
        long n = ElementCount(shape);
        long have = floats?.Length ?? longs!.Length;
        if (n != have)
            throw new ArgumentException($"tensor of shape [{string.Join(",", shape)}] needs {n} elements, got {have}");
    }

    public static Tensor FromFloats(int[] shape, float[] data) => new(DataType.Float32, shape, data, null);

    public static Tensor FromLongs(DataType type, int[] shape, long[] data)
    {
        if (!type.IsInteger()) throw new ArgumentException($"{type.Name()} is not an integer type", nameof(type));
        return new(type, shape, null, data);
    }

    public static Tensor Zeros(DataType type, int[] shape) => type == DataType.Float32
        ? FromFloats(shape, new float[ElementCount(shape)])
        : FromLongs(type, shape, new long[ElementCount(shape)]);

    public static Tensor Scalar(float v) => FromFloats([], [v]);

    public int Rank => Shape.Length;
    public long Length => ElementCount(Shape);
    public bool IsFloat => Floats is not null;

    public float[] F => Floats ?? throw new InvalidOperationException($"expected float32 tensor, got {DataType.Name()}");
    public long[] L => Longs ?? throw new InvalidOperationException($"expected integer tensor, got {DataType.Name()}");

    public static long ElementCount(ReadOnlySpan<int> shape)
    {
        long n = 1;
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentException("negative dimension in a concrete shape");
            n = checked(n * d);
        }
        return n;
    }

    public override string ToString() => $"{DataType.Name()}[{string.Join(",", Shape)}]";
}
