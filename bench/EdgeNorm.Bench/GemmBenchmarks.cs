using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;
using EdgeNorm.Model.Format;
using EdgeNorm.Onnx.Writer;
using EdgeNorm.Runtime.Kernels;
using EdgeNorm.Runtime.Kernels.Gemm;
using EdgeNorm.Runtime.Numerics;
using EdgeNorm.Runtime.Platform;
using Microsoft.ML.OnnxRuntime;

namespace EdgeNorm.Bench;

/// <summary>EdgeNorm's int8 GEMM (requantised int8 output) on every kernel path this CPU can run, one thread.</summary>
public class EdgeNormGemm
{
    public static IEnumerable<string> Shapes => GemmShape.All.Select(s => s.ToString());

    /// <summary>Usable vector paths (the scalar reference is the definition, not a contender: EDGENORM_BENCH_SCALAR=1 adds it).</summary>
    public static IEnumerable<string> Paths => KernelPaths.Usable
        .Where(p => p != KernelPath.Scalar || Environment.GetEnvironmentVariable("EDGENORM_BENCH_SCALAR") == "1")
        .Select(KernelPaths.Name);

    [ParamsSource(nameof(Shapes))] public string Shape { get; set; } = "";
    [ParamsSource(nameof(Paths))] public string Path { get; set; } = "";

    private KernelSet _kernels = null!;
    private GemmWeights _w = null!;
    private sbyte[] _a = [], _y = [];
    private byte[] _scratch = [];
    private int _m;

    [GlobalSetup]
    public void Setup()
    {
        var s = GemmShape.Parse(Shape);
        _m = s.M;
        _kernels = KernelSet.Create(KernelPaths.Parse(Path), 1);
        var packed = PackedWeights.Pack(GemmShape.RandomInt8(s.N * s.K, 1), s.N, s.K);
        _w = new GemmWeights(packed, s.N, s.K, new int[s.N], Enumerable.Repeat(new DyadicMultiplier(1 << 30, 44), s.N).ToArray());
        _a = GemmShape.RandomInt8(s.M * s.K, 2);
        _y = new sbyte[s.M * s.N];
        _scratch = new byte[KernelSet.GemmScratchBytes(s.M, s.K)];
    }

    [GlobalCleanup]
    public void Cleanup() => _kernels.Dispose();

    [Benchmark]
    public void Gemm() => _kernels.Gemm(_w, _a, _m, _y, _scratch);
}

/// <summary>ONNX Runtime MatMulInteger (u8 activations × s8 constant weights → int32, MLAS), one thread.</summary>
public class OrtMatMulInteger
{
    [ParamsSource(typeof(EdgeNormGemm), nameof(EdgeNormGemm.Shapes))] public string Shape { get; set; } = "";

    private InferenceSession _session = null!;
    private OrtValue _a = null!, _y = null!;
    private RunOptions _run = null!;
    private string[] _in = [], _out = [];

    [GlobalSetup]
    public void Setup()
    {
        var s = GemmShape.Parse(Shape);
        var w = new OnnxGraphWriter("matmulinteger", opset: 13);
        w.Input("a", (int)EdgeNorm.Onnx.Proto.TensorProto.Types.DataType.Uint8, s.M, s.K);
        w.SBytes("b", GemmShape.RandomInt8(s.K * s.N, 1), s.K, s.N);
        w.Bytes("a_zp", [(byte)128]);
        w.NodeTo("MatMulInteger", ["a", "b", "a_zp"], ["y"]);
        w.Output("y", OnnxGraphWriter.Int32, s.M, s.N);
        using var options = new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1, GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        _session = new InferenceSession(w.ToBytes(), options);
        var a = new byte[s.M * s.K];
        new Random(2).NextBytes(a);
        _a = OrtValue.CreateTensorValueFromMemory(a, [s.M, s.K]);
        _y = OrtValue.CreateTensorValueFromMemory(new int[s.M * s.N], [s.M, s.N]);
        _run = new RunOptions();
        (_in, _out) = (["a"], ["y"]);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _session.Dispose();
        _a.Dispose();
        _y.Dispose();
        _run.Dispose();
    }

    [Benchmark]
    public void MatMulInteger() => _session.Run(_run, _in, [_a], _out, [_y]);
}

/// <summary>The float baseline: Y = A·Wᵀ as M·N TensorPrimitives.Dot calls over contiguous rows (SIMD fp32).</summary>
public class FloatTensorPrimitives
{
    [ParamsSource(typeof(EdgeNormGemm), nameof(EdgeNormGemm.Shapes))] public string Shape { get; set; } = "";

    private float[] _a = [], _w = [], _y = [];
    private GemmShape _s = null!;

    [GlobalSetup]
    public void Setup()
    {
        _s = GemmShape.Parse(Shape);
        _a = GemmShape.RandomInt8(_s.M * _s.K, 2).Select(v => v / 127f).ToArray();
        _w = GemmShape.RandomInt8(_s.N * _s.K, 1).Select(v => v / 127f).ToArray();
        _y = new float[_s.M * _s.N];
    }

    [Benchmark]
    public void Gemm()
    {
        int k = _s.K, n = _s.N;
        for (int r = 0; r < _s.M; r++)
        {
            var a = _a.AsSpan(r * k, k);
            for (int c = 0; c < n; c++) _y[r * n + c] = TensorPrimitives.Dot(a, _w.AsSpan(c * k, k));
        }
    }
}
