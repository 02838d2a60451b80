using EdgeNorm.Model.Ir;

namespace EdgeNorm.Calibration.Float.Fused;

/// <summary>Shared checks and helpers of the fused float kernels.</summary>
internal static class FusedKernel
{
    /// <summary>Work (multiply-adds) above which a kernel splits rows over threads. Results never depend on it.</summary>
    public const long ParallelWork = 1L << 18;

    /// <summary>An op error; the executor prefixes the node's name and op type.</summary>
    public static FloatOpException Error(Node node, string message) => new(message);

    public static Tensor Input(Node node, Tensor?[] inputs, int index, string what)
    {
        if (index >= inputs.Length || inputs[index] is not { } t)
            throw Error(node, $"input {index} ({what}) is missing");
        return t;
    }

    public static Tensor? Optional(Tensor?[] inputs, int index) => index < inputs.Length ? inputs[index] : null;

    public static float[] Floats(Node node, Tensor t, string what) =>
        t.Floats ?? throw Error(node, $"{what} must be float32, got {t.DataType.Name()}");

    /// <summary>A per-channel vector of length <paramref name="channels"/> (or one value, broadcast); null stays null.</summary>
    public static float[]? PerChannel(Node node, Tensor? t, int channels, string what)
    {
        if (t is null) return null;
        var f = Floats(node, t, what);
        if (f.Length == channels) return f;
        if (f.Length == 1) return Enumerable.Repeat(f[0], channels).ToArray();
        throw Error(node, $"{what} has {f.Length} values, expected {channels}");
    }

    public static string ShapeText(int[] shape) => "[" + string.Join(",", shape) + "]";

    /// <summary>Runs body(i) for i in [0, count), on several threads when the work is large.</summary>
    public static void For(int count, long workPerItem, Action<int> body)
    {
        if (count > 1 && count * workPerItem >= ParallelWork && Environment.ProcessorCount > 1)
            Parallel.For(0, count, body);
        else
            for (int i = 0; i < count; i++) body(i);
    }
}
