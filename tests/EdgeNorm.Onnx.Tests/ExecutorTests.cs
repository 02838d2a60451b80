using System.Text.Json;
using EdgeNorm.Calibration.Float;
using EdgeNorm.Model;
using EdgeNorm.Model.Ir;
using EdgeNorm.Model.Npy;
using EdgeNorm.Tests;
using Xunit;

namespace EdgeNorm.Onnx.Tests;

/// <summary>The float reference executor: torch exports end to end (unfused), input checking, intermediates, broadcasting.</summary>
public class ExecutorTests
{
    private const int F32 = 1, I64 = 7;

    private static JsonElement ManifestModel(string model) =>
        JsonDocument.Parse(File.ReadAllText(TestPaths.Fixture("manifest.json"))).RootElement.GetProperty("models").GetProperty(model);

    private static Dictionary<string, Tensor> Rows(Dictionary<string, Tensor> all, int start, int count)
    {
        var r = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, t) in all)
        {
            int row = (int)(t.Length / t.Shape[0]);
            int[] shape = [count, .. t.Shape[1..]];
            r[name] = t.IsFloat ? Tensor.FromFloats(shape, t.F.AsSpan(start * row, count * row).ToArray())
                : Tensor.FromLongs(t.DataType, shape, t.L.AsSpan(start * row, count * row).ToArray());
        }
        return r;
    }

    private static (Dictionary<string, Tensor> Inputs, long[] Labels) Data(string dataset) => dataset == "lang"
        ? (new Dictionary<string, Tensor>
        {
            ["input_ids"] = Npy.ReadTensor(TestPaths.Fixture("lang_test_input_ids.npy")),
            ["attention_mask"] = Npy.ReadTensor(TestPaths.Fixture("lang_test_attention_mask.npy")),
        }, Npy.ReadTensor(TestPaths.Fixture("lang_test_y.npy")).L)
        : (new Dictionary<string, Tensor> { ["input"] = Npy.ReadTensor(TestPaths.Fixture("digits_test_x.npy")) },
            Npy.ReadTensor(TestPaths.Fixture("digits_test_y.npy")).L);

    [Theory]
    [InlineData("vit_ln_op13")]
    [InlineData("vit_ln_op17")]
    [InlineData("vit_l1")]
    [InlineData("vit_prepbn")]
    [InlineData("bert_lang")]
    public void TorchExportsRunUnfusedAndMatchTorch(string model)
    {
        if (!File.Exists(TestPaths.Fixture("manifest.json"))) return;
        var entry = ManifestModel(model);
        var path = TestPaths.Fixture(entry.GetProperty("file").GetString()!);
        if (!File.Exists(path)) return;
        var graph = OnnxModelLoader.Load(path);
        Assert.DoesNotContain(graph.Nodes, n => n.IsFused);
        var exec = new FloatExecutor(graph);
        var (all, labels) = Data(entry.GetProperty("dataset").GetString()!);

        // the first 8 test rows against torch's logits
        var want = entry.GetProperty("first8_logits").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray();
        var logits = exec.Run(Rows(all, 0, 8))[graph.Outputs[0].Name];
        int classes = logits.Shape[1];
        Assert.Equal([8, want[0].Length], logits.Shape);
        double maxDiff = 0;
        for (int i = 0; i < 8; i++)
            for (int c = 0; c < classes; c++) maxDiff = Math.Max(maxDiff, Math.Abs(logits.F[i * classes + c] - want[i][c]));
        Assert.True(maxDiff <= 1e-4, $"max |executor - torch| = {maxDiff:E2}");

        // batch size does not change results: rows 0..7 computed alone and within a batch of 32
        var big = exec.Run(Rows(all, 0, 32))[graph.Outputs[0].Name];
        for (int i = 0; i < 8 * classes; i++) Assert.Equal(logits.F[i], big.F[i], 1e-5f);
    }

    [Fact]
    public void VitTop1OnTheWholeTestSetEqualsTorch()
    {
        var path = TestPaths.Fixture("vit_ln_op17.onnx");
        if (!File.Exists(path) || !File.Exists(TestPaths.Fixture("manifest.json"))) return;
        var entry = ManifestModel("vit_ln_op17");
        var exec = new FloatExecutor(OnnxModelLoader.Load(path));
        var (all, labels) = Data("digits");
        int correct = 0;
        for (int start = 0; start < labels.Length; start += 512)
        {
            int n = Math.Min(512, labels.Length - start);
            var lg = exec.Run(Rows(all, start, n)).Values.Single();
            int c = lg.Shape[1];
            for (int i = 0; i < n; i++)
            {
                int best = 0;
                for (int k = 1; k < c; k++) if (lg.F[i * c + k] > lg.F[i * c + best]) best = k;
                if (best == labels[start + i]) correct++;
            }
        }
        Assert.Equal(entry.GetProperty("float_top1").GetDouble(), (double)correct / labels.Length, 6);
    }

    private static Graph Mlp()
    {
        var b = new ParsingModelBuilder().Input("x", F32, "N", 4).Output("y", F32, "N", 3);
        b.Init("W1", Tensor.FromFloats([4, 5], Enumerable.Range(0, 20).Select(i => (i % 7 - 3) * 0.1f).ToArray()));
        b.Init("W2", Tensor.FromFloats([5, 3], Enumerable.Range(0, 15).Select(i => (i % 5 - 2) * 0.2f).ToArray()));
        b.Node("MatMul", ["x", "W1"], ["h"]);
        b.Node("Relu", ["h"], ["r"]);
        b.Node("MatMul", ["r", "W2"], ["z"]);
        b.Node("Softmax", ["z"], ["y"], attrs: ("axis", -1L));
        return OnnxModelLoader.Load(b.Bytes());
    }

    [Fact]
    public void IntermediatesOnRequestAndThroughTheObserver()
    {
        var exec = new FloatExecutor(Mlp());
        var x = Tensor.FromFloats([2, 4], [1, 2, 3, 4, -1, 0, 1, 0.5f]);
        var plain = exec.Run(new Dictionary<string, Tensor> { ["x"] = x });
        Assert.Equal(["y"], plain.Keys);
        var seen = new List<string>();
        var withH = exec.Run(new Dictionary<string, Tensor> { ["x"] = x }, ["h", "r"], (n, name, t) => seen.Add(name));
        Assert.Equal(["h", "r", "z", "y"], seen);
        Assert.Equal([2, 5], withH["h"].Shape);
        Assert.Equal(withH["h"].F.Select(v => Math.Max(v, 0f)), withH["r"].F);
        Assert.Equal(plain["y"].F, withH["y"].F);
        Assert.Throws<EdgeNormException>(() => exec.Run(new Dictionary<string, Tensor> { ["x"] = x }, ["no_such_tensor"]));
    }

    [Fact]
    public void WrongInputsAreReportedByName()
    {
        var exec = new FloatExecutor(Mlp());
        var e1 = Assert.Throws<InputMismatchException>(() => exec.Run(new Dictionary<string, Tensor> { ["x"] = Tensor.Zeros(DataType.Float32, [2, 5]) }));
        Assert.Equal("x", e1.InputName);
        Assert.Contains("[2,5]", e1.Message);
        Assert.Contains("[N,4]", e1.Message);
        var e2 = Assert.Throws<InputMismatchException>(() => exec.Run(new Dictionary<string, Tensor> { ["x"] = Tensor.Zeros(DataType.Int64, [2, 4]) }));
        Assert.Contains("float32", e2.Message);
        Assert.Contains("int64", e2.Message);
        var e3 = Assert.Throws<InputMismatchException>(() => exec.Run(new Dictionary<string, Tensor> { ["x"] = Tensor.Zeros(DataType.Float32, [4]) }));
        Assert.Contains("[4]", e3.Message);
        var e4 = Assert.Throws<InputMismatchException>(() => exec.Run(new Dictionary<string, Tensor> { ["input"] = Tensor.Zeros(DataType.Float32, [1, 4]) }));
        Assert.Contains("'input'", e4.Message);
        Assert.Contains("x: float32[N,4]", e4.Message);
        var e5 = Assert.Throws<InputMismatchException>(() => exec.Run(new Dictionary<string, Tensor>()));
        Assert.Contains("missing input 'x'", e5.Message);
    }

    [Fact]
    public void InputsSharingTheBatchSymbolMustAgree()
    {
        var b = new ParsingModelBuilder().Input("ids", I64, "N", 3).Input("mask", I64, "N", 3).Output("y", I64, "N", 3);
        b.Node("Mul", ["ids", "mask"], ["y"]);
        var exec = new FloatExecutor(OnnxModelLoader.Load(b.Bytes()));
        var e = Assert.Throws<InputMismatchException>(() => exec.Run(new Dictionary<string, Tensor>
        {
            ["ids"] = Tensor.Zeros(DataType.Int64, [2, 3]),
            ["mask"] = Tensor.Zeros(DataType.Int64, [3, 3]),
        }));
        Assert.Equal("mask", e.InputName);
        Assert.Contains("N=2", e.Message);
        // int32 data for an int64 input is accepted and relabelled
        var y = exec.Run(new Dictionary<string, Tensor>
        {
            ["ids"] = Tensor.FromLongs(DataType.Int32, [1, 3], [1, 2, 3]),
            ["mask"] = Tensor.FromLongs(DataType.Int64, [1, 3], [1, 0, 1]),
        })["y"];
        Assert.Equal(DataType.Int64, y.DataType);
        Assert.Equal([1L, 0, 3], y.L);
    }

    [Fact]
    public void FailingNodesAreNamed()
    {
        var b = new ParsingModelBuilder().Input("x", F32, "N", 4).Output("y", F32, "N", 4);
        b.Node("Reshape", ["x", b.Ints(3, -1)], ["y"], name: "bad_reshape");
        var exec = new FloatExecutor(OnnxModelLoader.Load(b.Bytes()));
        var e = Assert.Throws<FloatExecutionException>(() => exec.Run(new Dictionary<string, Tensor> { ["x"] = Tensor.Zeros(DataType.Float32, [2, 4]) }));
        Assert.Equal("bad_reshape", e.NodeName);
        Assert.Contains("bad_reshape", e.Message);
    }

    [Fact]
    public void MatMulBroadcastsBatchDims()
    {
        var rng = new Random(3);
        float[] Rand(int n) => Enumerable.Range(0, n).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        var a = Tensor.FromFloats([2, 1, 3, 4], Rand(24));
        var bt = Tensor.FromFloats([5, 4, 2], Rand(40));
        var y = Calibration.Float.Ops.MatMulOp.Compute(a, bt);
        Assert.Equal([2, 5, 3, 2], y.Shape);
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 5; j++)
                for (int r = 0; r < 3; r++)
                    for (int c = 0; c < 2; c++)
                    {
                        float s = 0;
                        for (int k = 0; k < 4; k++) s += a.F[(i * 3 + r) * 4 + k] * bt.F[(j * 4 + k) * 2 + c];
                        Assert.Equal(s, y.F[((i * 5 + j) * 3 + r) * 2 + c], 1e-6f);
                    }
        // 1-D operands
        var v = Calibration.Float.Ops.MatMulOp.Compute(Tensor.FromFloats([4], [1, 2, 3, 4]), Tensor.FromFloats([4], [1, 1, 1, 1]));
        Assert.Empty(v.Shape);
        Assert.Equal(10f, v.F[0]);
    }

    [Fact]
    public void OneExecutorServesSeveralThreads()
    {
        var exec = new FloatExecutor(Mlp());
        var inputs = Enumerable.Range(0, 16).Select(i => Tensor.FromFloats([3, 4], Enumerable.Range(0, 12).Select(k => (float)Math.Sin(i + k)).ToArray())).ToArray();
        var serial = inputs.Select(x => exec.Run(new Dictionary<string, Tensor> { ["x"] = x })["y"].F).ToArray();
        var parallel = new float[16][];
        Parallel.For(0, 16, i => parallel[i] = exec.Run(new Dictionary<string, Tensor> { ["x"] = inputs[i] })["y"].F);
        for (int i = 0; i < 16; i++) Assert.Equal(serial[i], parallel[i]);
    }

    [Fact]
    public void UnsupportedNodesAreRefusedWhenPlanning()
    {
        var g = Mlp();
        g.Nodes.Add(new Node { Name = "mystery", OpType = "Mystery", Domain = "x.y", Inputs = { "y" }, Outputs = { "q" } });
        var e = Assert.Throws<EdgeNormException>(() => new FloatExecutor(g));
        Assert.Contains("mystery", e.Message);
    }
}
