// make-model OUT_DIR writes, deterministically (the same bytes on every run):
//   model.edgn      a small transformer-block-shaped graph exercising every tensor dtype, both layouts,
//                   per-tensor and per-channel quantisation, every attribute kind and metadata. No golden
//                   set: its ops are made up and `verify` executes golden sets (check.sh gets an executable
//                   model from `edgenorm calibrate`);
//   corrupt.edgn    one tensor byte flipped: `verify` must exit 1;
//   truncated.edgn  cut inside the data section: exit 2.
using EdgeNorm.Model.Format;
using EdgeNorm.Model.Ir;

if (args.Length != 1)
{
    Console.Error.WriteLine("usage: make-model OUT_DIR");
    return 2;
}
string dir = args[0];
Directory.CreateDirectory(dir);

uint state = 0x2545F491;
int Next(int lo, int hi) // [lo, hi], xorshift32: no dependence on System.Random's algorithm
{
    state ^= state << 13; state ^= state >> 17; state ^= state << 5;
    return lo + (int)(state % (uint)(hi - lo + 1));
}
sbyte[] I8(int n) => Enumerable.Range(0, n).Select(_ => (sbyte)Next(-128, 127)).ToArray();
float[] Scales(int n, float baseScale) => Enumerable.Range(0, n).Select(i => baseScale * (1 + i % 7) / 3f).ToArray();

const int T = 17, D = 30, H = 40; // odd sizes: the packed layout pads N to 16 and K to 4
var b = new EdgnBuilder()
    .AddInput("x", DataType.Int8, [-1, T, D], QuantParams.PerTensor(0.0375f, -3))
    .AddOutput("y", DataType.Int8, [-1, T, D], QuantParams.PerTensor(0.05f, 1))
    .AddValue("h", DataType.Int32, [-1, T, H])
    .AddValue("g", DataType.UInt8, [-1, T, H], QuantParams.PerTensor(1f / 255, 0))
    .AddPackedWeights("fc1.w", I8(H * D), H, D, QuantParams.PerChannel(0, Scales(H, 0.01f)))
    .AddTensor<int>("fc1.b", [H], Enumerable.Range(0, H).Select(i => Next(-40000, 40000)).ToArray())
    .AddTensor<short>("gelu.lut", [64], Enumerable.Range(0, 64).Select(i => (short)(i * i - 1000)).ToArray())
    .AddPackedWeights("fc2.w", I8(D * H), D, H, QuantParams.PerChannel(0, Scales(D, 0.02f), Enumerable.Repeat(0L, D).ToArray()))
    .AddTensor<long>("fc2.b", [D], Enumerable.Range(0, D).Select(i => (long)Next(-1000000, 1000000) << 8).ToArray())
    .AddTensor<byte>("norm.mask", [D], Enumerable.Range(0, D).Select(i => (byte)(i % 3 == 0 ? 1 : 0)).ToArray())
    .AddTensor<float>("norm.gamma", [D], Enumerable.Range(0, D).Select(i => 1f / (i + 3) - 0.125f).ToArray())
    .AddNode("fc1", "QLinear", ["x", "fc1.w", "fc1.b"], ["h"],
        new Dictionary<string, EdgnAttribute> { ["k"] = (long)D, ["requant"] = new long[] { 1518500250, -7 } })
    .AddNode("gelu", "QGelu", ["h", "gelu.lut"], ["g"],
        new Dictionary<string, EdgnAttribute> { ["approx"] = "i-gelu", ["coeffs"] = new[] { -0.2888f, -1.769f, 1f / 3 } })
    .AddNode("fc2", "QLinear", ["g", "fc2.w", "fc2.b"], ["z"])
    .AddNode("norm", "L1Norm", ["z", "norm.gamma", "norm.mask", ""], ["y"],
        new Dictionary<string, EdgnAttribute> { ["axis"] = -1L, ["eps"] = 1e-5f })
    .AddTensor<float>("calib.x", [2, T, D], I8(2 * T * D).Select(q => 0.0375f * (q + 3)).ToArray())
    .SetMetadata("calibration.method", "minmax")
    .SetMetadata("calibration.samples", "64")
    .SetMetadata("source", "scripts/arm64/make-model (synthetic; arm64 vs x64 comparison only)")
    .SetMetadata("unicode", "µ-law ✓ naïve");

string model = Path.Combine(dir, "model.edgn");
b.WriteFile(model);

long flipAt;
using (var m = EdgnModel.Open(model)) flipAt = m.DataOffset + m.Header.GetTensor("fc2.b").Offset + 5;
var bytes = File.ReadAllBytes(model);
var corrupt = (byte[])bytes.Clone();
corrupt[flipAt] ^= 0x10;
File.WriteAllBytes(Path.Combine(dir, "corrupt.edgn"), corrupt);
File.WriteAllBytes(Path.Combine(dir, "truncated.edgn"), bytes[..(int)(flipAt - 3)]);
Console.WriteLine($"make-model: {model} ({bytes.Length:N0} bytes), corrupt.edgn (byte {flipAt} flipped), truncated.edgn ({flipAt - 3:N0} bytes)");
return 0;
