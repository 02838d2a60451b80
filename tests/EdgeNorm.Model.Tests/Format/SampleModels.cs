using System.Runtime.InteropServices;
using EdgeNorm.Model.Format;
using EdgeNorm.Model.Ir;

namespace EdgeNorm.Model.Tests.Format;

/// <summary>Models the format tests write and read back.</summary>
internal static class SampleModels
{
    public static readonly sbyte[] Fc1Weights = Enumerable.Range(0, 5 * 8).Select(i => (sbyte)((i * 37 % 255) - 127)).ToArray();

    /// <summary>
    /// A small two-node model that uses every header feature: quantised I/O with a dynamic batch, a packed weight
    /// with N and K tails and per-channel quantisation, every dtype, every attribute kind, an omitted optional
    /// input, an intermediate value description, metadata and a golden set.
    /// </summary>
    public static EdgnBuilder Small()
    {
        var b = new EdgnBuilder();
        b.AddInput("x", DataType.Int8, [-1, 8], QuantParams.PerTensor(0.05f, 0));
        b.AddPackedWeights("fc1.w", Fc1Weights, 5, 8, QuantParams.PerChannel(0, [0.01f, 0.02f, 0.03f, 0.04f, 0.05f]));
        b.AddTensor<int>("fc1.b", [5], [100, -200, 300, -400, 500]);
        b.AddTensor<long>("fc1.m", [2], [1L << 30, (1L << 31) - 1]);
        b.AddTensor<short>("emb", [3, 7], Enumerable.Range(0, 21).Select(i => (short)(i * 1000 - 10000)).ToArray());
        b.AddTensor<byte>("act.lut", [256], Enumerable.Range(0, 256).Select(i => (byte)(255 - i)).ToArray());
        b.AddTensor<sbyte>("act.zero", [0], []);
        b.AddTensor<float>("golden.g0.x", [2, 8], Enumerable.Range(0, 16).Select(i => i * 0.25f - 2).ToArray());
        b.AddTensor<float>("golden.g0.y", [2, 5], Enumerable.Range(0, 10).Select(i => i * 0.125f).ToArray());
        b.AddNode("fc1", "QLinear", ["x", "fc1.w", "fc1.b", ""], ["h"], new Dictionary<string, EdgnAttribute>
        {
            ["shift"] = 31L,
            ["multipliers"] = new long[] { 1L << 30, 3 },
            ["alpha"] = 0.5f,
            ["betas"] = new[] { 1.5f, -0.25f },
            ["softmax"] = "log2",
        });
        b.AddValue("h", DataType.Int8, [-1, 5], QuantParams.PerTensor(0.1f, -3));
        b.AddNode("act", "Lut", ["h", "act.lut"], ["y"]);
        b.AddOutput("y", DataType.UInt8, [-1, 5], QuantParams.PerTensor(0.02f, 128));
        b.SetMetadata("edgenorm.version", "0.1.0");
        b.SetMetadata("source.sha256", new string('a', 64));
        b.SetMetadata("calibration.method", "minmax");
        b.SetMetadata("calibration.seed", "42");
        b.SetMetadata("labels", "cat\ndog\nünïcødé");
        b.AddGoldenSet("g0", [new("x", "golden.g0.x")], [new("y", "golden.g0.y")]);
        return b;
    }

    public static byte[] SmallBytes() => Small().ToArray();

    /// <summary>The raw bytes each tensor of <see cref="Small"/> was given, for comparison after reading.</summary>
    public static Dictionary<string, byte[]> SmallTensorBytes() => new()
    {
        ["fc1.w"] = PackedWeights.Pack(Fc1Weights, 5, 8),
        ["fc1.b"] = Bytes<int>([100, -200, 300, -400, 500]),
        ["fc1.m"] = Bytes<long>([1L << 30, (1L << 31) - 1]),
        ["emb"] = Bytes(Enumerable.Range(0, 21).Select(i => (short)(i * 1000 - 10000)).ToArray()),
        ["act.lut"] = Enumerable.Range(0, 256).Select(i => (byte)(255 - i)).ToArray(),
        ["act.zero"] = [],
        ["golden.g0.x"] = Bytes(Enumerable.Range(0, 16).Select(i => i * 0.25f - 2).ToArray()),
        ["golden.g0.y"] = Bytes(Enumerable.Range(0, 10).Select(i => i * 0.125f).ToArray()),
    };

    private static byte[] Bytes<T>(T[] v) where T : unmanaged => MemoryMarshal.AsBytes(v.AsSpan()).ToArray();

    /// <summary>The smallest useful model: one quantised input, one row-major weight, one node.</summary>
    public static EdgnBuilder Minimal()
    {
        var b = new EdgnBuilder();
        b.AddInput("x", DataType.Int8, [-1, 2]);
        b.AddTensor<sbyte>("w", [2], [3, -4]);
        b.AddNode("mul", "Mul", ["x", "w"], ["y"]);
        b.AddOutput("y", DataType.Int32, [-1, 2]);
        return b;
    }
}
