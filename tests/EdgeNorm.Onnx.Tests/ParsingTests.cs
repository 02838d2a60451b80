using EdgeNorm.Calibration.Float;
using EdgeNorm.Model;
using EdgeNorm.Model.Ir;
using EdgeNorm.Onnx.Passes;
using EdgeNorm.Onnx.Proto;
using EdgeNorm.Tests;
using Google.Protobuf;
using Xunit;

namespace EdgeNorm.Onnx.Tests;

/// <summary>ONNX parsing: initializers, external data (and hostile locations), corrupt files, opsets, unsupported ops.</summary>
public class ParsingTests
{
    private const int F32 = 1, I64 = 7;

    /// <summary>y = x · W + B with W and B given by the caller.</summary>
    private static ParsingModelBuilder Linear(Action<ParsingModelBuilder> weights)
    {
        var b = new ParsingModelBuilder().Input("x", F32, "N", 3).Output("y", F32, "N", 2);
        weights(b);
        b.Node("MatMul", ["x", "W"], ["xw"]);
        b.Node("Add", ["xw", "B"], ["y"]);
        return b;
    }

    private static readonly float[] W = [1, 2, 3, 4, 5, 6];
    private static readonly float[] B = [0.5f, -1];

    private static float[] Expected(float[] x)
    {
        int n = x.Length / 3;
        var y = new float[n * 2];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < 2; j++)
            {
                float s = 0;
                for (int k = 0; k < 3; k++) s += x[i * 3 + k] * W[k * 2 + j];
                y[i * 2 + j] = s + B[j];
            }
        return y;
    }

    private static float[] RunLinear(Graph g, float[] x)
    {
        var outs = new FloatExecutor(g).Run(new Dictionary<string, Tensor> { ["x"] = Tensor.FromFloats([x.Length / 3, 3], x) });
        return outs["y"].F;
    }

    private static TensorProto External(string name, int[] dims, string location, long? offset = null, long? length = null)
    {
        var p = new TensorProto { Name = name, DataType = F32, DataLocation = TensorProto.Types.DataLocation.External };
        p.Dims.AddRange(dims.Select(d => (long)d));
        p.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
        if (offset is not null) p.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.Value.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        if (length is not null) p.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = length.Value.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        return p;
    }

    private static byte[] Bytes(float[] v)
    {
        var b = new byte[v.Length * 4];
        Buffer.BlockCopy(v, 0, b, 0, b.Length);
        return b;
    }

    [Fact]
    public void InitializersFromRawAndTypedFields()
    {
        var model = Linear(b =>
        {
            var w = new TensorProto { Name = "W", DataType = F32 };
            w.Dims.AddRange([3, 2]);
            w.FloatData.AddRange(W);
            b.Init(w);
            b.Init("B", Tensor.FromFloats([2], B));
        });
        using var dir = new TempDir();
        var g = OnnxModelLoader.Load(model.Save(dir.Path));
        float[] x = [1, 0, -1, 0.5f, 2, 3];
        Assert.Equal(Expected(x), RunLinear(g, x));
    }

    [Theory]
    [InlineData(7)] [InlineData(6)] [InlineData(3)] [InlineData(2)] [InlineData(9)] [InlineData(5)] [InlineData(4)]
    public void IntegerInitializersFromTypedAndRawData(int type)
    {
        long[] values = type == 9 ? [1, 0, 1, 1] : type == 2 ? [0, 7, 200, 255] : type == 4 ? [0, 7, 60000, 3] : [-3, 0, 7, -128];
        var typed = new TensorProto { Name = "t", DataType = type };
        typed.Dims.Add(4);
        if (type == 7) typed.Int64Data.AddRange(values);
        else typed.Int32Data.AddRange(values.Select(v => (int)v));
        var fromTyped = OnnxTensors.FromProto(typed, null);
        var fromRaw = OnnxTensors.FromProto(OnnxTensors.ToProto(Tensor.FromLongs((DataType)type, [4], values), "t"), null);
        Assert.Equal((DataType)type, fromTyped.DataType);
        Assert.Equal(values, fromTyped.L);
        Assert.Equal(values, fromRaw.L);
    }

    [Fact]
    public void DoubleAndHalfInitializersBecomeFloat32()
    {
        var d = new TensorProto { Name = "d", DataType = 11 };
        d.Dims.Add(2);
        d.DoubleData.AddRange([1.5, -2.25]);
        Assert.Equal([1.5f, -2.25f], OnnxTensors.FromProto(d, null).F);
        var h = new TensorProto { Name = "h", DataType = 10, RawData = ByteString.CopyFrom(BitConverter.GetBytes(BitConverter.HalfToUInt16Bits((Half)0.5f))) };
        h.Dims.Add(1);
        Assert.Equal([0.5f], OnnxTensors.FromProto(h, null).F);
    }

    [Fact]
    public void UnsupportedInitializerTypeIsRefusedByName()
    {
        var s = new TensorProto { Name = "names", DataType = 8 };
        s.Dims.Add(1);
        s.StringData.Add(ByteString.CopyFromUtf8("a"));
        var e = Assert.Throws<OnnxImportException>(() => OnnxTensors.FromProto(s, null));
        Assert.Contains("names", e.Message);
        Assert.Contains("string", e.Message);
    }

    [Fact]
    public void RawDataOfTheWrongSizeIsRefused()
    {
        var p = new TensorProto { Name = "w", DataType = F32, RawData = ByteString.CopyFrom(new byte[10]) };
        p.Dims.AddRange([3, 2]);
        var e = Assert.Throws<OnnxImportException>(() => OnnxTensors.FromProto(p, null));
        Assert.Contains("'w'", e.Message);
    }

    [Fact]
    public void ExternalDataInTheModelFolder()
    {
        using var dir = new TempDir();
        Directory.CreateDirectory(dir.File("weights"));
        var blob = new byte[16].Concat(Bytes(W)).Concat(Bytes(B)).ToArray();
        File.WriteAllBytes(dir.File("weights/all.bin"), blob);
        var model = Linear(b =>
        {
            b.Init(External("W", [3, 2], "weights/all.bin", 16, 24));
            b.Init(External("B", [2], "weights/all.bin", 40, 8));
        });
        var g = OnnxModelLoader.Load(model.Save(dir.Path));
        float[] x = [1, 2, 3];
        Assert.Equal(Expected(x), RunLinear(g, x));
    }

    [Fact]
    public void ExternalDataWithoutOffsetOrLengthUsesTheWholeFile()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("w.bin"), Bytes(W));
        var model = Linear(b => { b.Init(External("W", [3, 2], "w.bin")); b.Init("B", Tensor.FromFloats([2], B)); });
        var g = OnnxModelLoader.Load(model.Save(dir.Path));
        Assert.Equal(W, g.Initializers["W"].F);
    }

    [Theory]
    [InlineData("../outside.bin")]
    [InlineData("sub/../../outside.bin")]
    [InlineData("..\\outside.bin")]
    [InlineData("/etc/passwd")]
    [InlineData("\\etc\\passwd")]
    [InlineData("C:/Windows/win.ini")]
    [InlineData("missing.bin")]
    [InlineData("")]
    public void HostileOrMissingExternalLocationsAreRefused(string location)
    {
        using var dir = new TempDir();
        var model = Linear(b => { b.Init(External("W", [3, 2], location)); b.Init("B", Tensor.FromFloats([2], B)); });
        var path = model.Save(Path.Combine(dir.Path, "m"));
        File.WriteAllBytes(dir.File("outside.bin"), Bytes(W));
        var e = Assert.Throws<OnnxImportException>(() => OnnxModelLoader.Load(path));
        Assert.Contains("external data", e.Message);
    }

    [Fact]
    public void SymlinksLeavingTheModelFolderAreRefused()
    {
        if (OperatingSystem.IsWindows()) return;
        using var dir = new TempDir();
        using var outside = new TempDir();
        File.WriteAllBytes(outside.File("w.bin"), Bytes(W));
        Directory.CreateDirectory(dir.File("m"));
        File.CreateSymbolicLink(dir.File("m/link.bin"), outside.File("w.bin"));
        Directory.CreateSymbolicLink(dir.File("m/linkdir"), outside.Path);
        foreach (var location in new[] { "link.bin", "linkdir/w.bin" })
        {
            var model = Linear(b => { b.Init(External("W", [3, 2], location)); b.Init("B", Tensor.FromFloats([2], B)); });
            var path = model.Save(dir.File("m"));
            var e = Assert.Throws<OnnxImportException>(() => OnnxModelLoader.Load(path));
            Assert.Contains("outside the model's folder", e.Message);
        }
        // a link that stays inside the folder is fine
        File.WriteAllBytes(dir.File("m/real.bin"), Bytes(W));
        File.CreateSymbolicLink(dir.File("m/inside.bin"), dir.File("m/real.bin"));
        var ok = Linear(b => { b.Init(External("W", [3, 2], "inside.bin")); b.Init("B", Tensor.FromFloats([2], B)); });
        Assert.Equal(W, OnnxModelLoader.Load(ok.Save(dir.File("m"))).Initializers["W"].F);
    }

    [Theory]
    [InlineData(0L, 100L)]   // runs past the end
    [InlineData(30L, 24L)]   // offset + length past the end
    [InlineData(100L, null)] // offset past the end
    [InlineData(0L, 20L)]    // wrong length for the shape
    public void ExternalRangesAreCheckedAgainstTheFile(long offset, long? length)
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("w.bin"), Bytes(W).Concat(new byte[8]).ToArray());
        var model = Linear(b => { b.Init(External("W", [3, 2], "w.bin", offset, length)); b.Init("B", Tensor.FromFloats([2], B)); });
        var e = Assert.Throws<OnnxImportException>(() => OnnxModelLoader.Load(model.Save(dir.Path)));
        Assert.Contains("'W'", e.Message);
    }

    private static byte[] ValidModelBytes() => Linear(b => { b.Init("W", Tensor.FromFloats([3, 2], W)); b.Init("B", Tensor.FromFloats([2], B)); }).Bytes();

    [Fact]
    public void TruncatedModelsAreRefusedWithOurException()
    {
        var bytes = ValidModelBytes();
        using var dir = new TempDir();
        for (int len = 1; len < bytes.Length; len += Math.Max(1, bytes.Length / 60))
        {
            var path = dir.File($"t{len}.onnx");
            File.WriteAllBytes(path, bytes[..len]);
            var e = Record.Exception(() => OnnxModelLoader.Load(path));
            Assert.True(e is null || e is EdgeNormException, $"length {len}: {e?.GetType().Name}: {e?.Message}");
        }
        File.WriteAllBytes(dir.File("half.onnx"), bytes[..(bytes.Length / 2)]);
        Assert.Throws<OnnxImportException>(() => OnnxModelLoader.Load(dir.File("half.onnx")));
    }

    [Fact]
    public void GarbageEmptyAndMissingFilesAreRefused()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("empty.onnx"), []);
        File.WriteAllText(dir.File("text.onnx"), "this is not a model\n");
        var rng = new Random(7);
        var noise = new byte[4096];
        rng.NextBytes(noise);
        File.WriteAllBytes(dir.File("noise.onnx"), noise);
        foreach (var f in new[] { "empty.onnx", "text.onnx", "noise.onnx", "missing.onnx" })
        {
            var e = Assert.Throws<OnnxImportException>(() => OnnxModelLoader.Load(dir.File(f)));
            Assert.DoesNotContain('\n', e.Message);
        }
    }

    [Fact]
    public void DeeplyNestedProtobufHitsTheRecursionLimit()
    {
        // field 7 (graph) of ModelProto, itself holding field 1 (node) holding field 5 (attribute) … nested 10 000 deep
        var inner = Array.Empty<byte>();
        for (int i = 0; i < 10000; i++)
        {
            var tag = new byte[] { (1 << 3) | 2 };
            var len = Varint(inner.Length);
            inner = [.. tag, .. len, .. inner];
        }
        byte[] bytes = [(7 << 3) | 2, .. Varint(inner.Length), .. inner];
        var e = Assert.Throws<OnnxImportException>(() => OnnxModelLoader.Load(bytes));
        Assert.Contains("corrupt", e.Message);
    }

    private static byte[] Varint(int v)
    {
        var r = new List<byte>();
        uint u = (uint)v;
        while (u >= 0x80) { r.Add((byte)(u | 0x80)); u >>= 7; }
        r.Add((byte)u);
        return r.ToArray();
    }

    [Fact]
    public void MutatedModelsFailOnlyWithOurExceptions()
    {
        var good = ValidModelBytes();
        var rng = new Random(1234);
        for (int iter = 0; iter < 400; iter++)
        {
            var bytes = (byte[])good.Clone();
            int flips = 1 + rng.Next(4);
            for (int k = 0; k < flips; k++) bytes[rng.Next(bytes.Length)] = (byte)rng.Next(256);
            Graph? g = null;
            var e = Record.Exception(() => g = OnnxModelLoader.Load(bytes));
            Assert.True(e is null || e is EdgeNormException, $"iteration {iter}: {e?.GetType().Name}: {e?.Message}");
            if (g is not null)
            {
                // whatever loaded must run or fail cleanly
                var exec = Record.Exception(() =>
                {
                    var feeds = new FloatExecutor(g).Inputs.ToDictionary(i => i.Name, i => Tensor.Zeros(i.DataType is DataType.Float32 ? DataType.Float32 : i.DataType,
                        i.Shape.Select(d => d.IsFixed ? (int)Math.Min(d.Size, 8) : 2).ToArray()));
                    new FloatExecutor(g).Run(feeds);
                });
                Assert.True(exec is null || exec is EdgeNormException, $"iteration {iter} (run): {exec?.GetType().Name}: {exec?.Message}");
            }
        }
    }

    [Theory]
    [InlineData(12)]
    [InlineData(18)]
    public void OpsetsOutside13To17AreRefused(long opset)
    {
        var b = Linear(m => { m.Init("W", Tensor.FromFloats([3, 2], W)); m.Init("B", Tensor.FromFloats([2], B)); });
        b.Opset = opset;
        var e = Assert.Throws<OnnxImportException>(() => OnnxModelLoader.Load(b.Bytes()));
        Assert.Contains($"opset {opset}", e.Message);
        Assert.Contains("13–17", e.Message);
    }

    [Fact]
    public void UnsupportedOpsFixtureListsEveryNode()
    {
        var path = TestPaths.Fixture("unsupported_ops.onnx");
        if (!File.Exists(path)) return;
        var e = Assert.Throws<UnsupportedOpsException>(() => OnnxModelLoader.Load(path));
        Assert.Equal(["NonMaxSuppression", "TopK"], e.Nodes.Select(n => n.OpType).Order(StringComparer.Ordinal));
        Assert.Contains("top3_scores", e.Message);
        Assert.Contains("box_nms", e.Message);
        Assert.All(e.Nodes, n => Assert.Equal(17, n.Opset));
    }

    [Fact]
    public void UnsupportedOpsAreReportedAllAtOnceButDeadOnesAreIgnored()
    {
        var b = new ParsingModelBuilder { Opset = 17 }.Input("x", F32, "N", 4).Output("y", F32, "N", 4);
        b.Node("Relu", ["x"], ["r"]);
        b.Node("Hardmax", ["r"], ["h"], name: "hard");
        b.Node("MyCustom", ["h"], ["c"], name: "custom", domain: "com.example");
        b.Node("Einsum", ["c"], ["y"], name: "ein", attrs: ("equation", "ij->ij"));
        b.Node("TopK", ["x", b.Ints(1)], ["unused_v", "unused_i"], name: "dead_topk");
        var m = b.Model();
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "com.example", Version = 3 });
        var e = Assert.Throws<UnsupportedOpsException>(() => OnnxModelLoader.Load(m.ToByteArray()));
        Assert.Equal(["hard", "custom", "ein"], e.Nodes.Select(n => n.NodeName));
        var custom = e.Nodes.Single(n => n.NodeName == "custom");
        Assert.Equal("com.example", custom.Domain);
        Assert.Equal(3, custom.Opset);
        Assert.Contains("Hardmax", e.Message);
        Assert.Contains("Einsum", e.Message);
        Assert.Contains("com.example::MyCustom", e.Message);
        Assert.DoesNotContain("TopK", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void ConstantNodesAndInitializerInputsBecomeInitializers()
    {
        var b = new ParsingModelBuilder().Input("x", F32, "N", 2).Output("y", F32, "N", 2);
        b.Input("scale", F32, 2);  // also an initializer: a constant with a default value
        b.Init("scale", Tensor.FromFloats([2], [2, 3]));
        b.Node("Constant", [], ["shift"], attrs: ("value", OnnxTensors.ToProto(Tensor.FromFloats([2], [1, 1]), "")));
        b.Node("Mul", ["x", "scale"], ["m"]);
        b.Node("Add", ["m", "shift"], ["y"]);
        var g = OnnxModelLoader.Load(b.Bytes());
        Assert.Equal(["x"], g.Inputs.Select(i => i.Name));
        Assert.DoesNotContain(g.Nodes, n => n.OpType == "Constant");
        Assert.True(g.Initializers.ContainsKey("shift"));
        var y = new FloatExecutor(g).Run(new Dictionary<string, Tensor> { ["x"] = Tensor.FromFloats([1, 2], [1, 2]) })["y"];
        Assert.Equal([3f, 7f], y.F);
    }

    [Fact]
    public void NodesOutOfOrderAreSorted()
    {
        var b = new ParsingModelBuilder().Input("x", F32, "N", 2).Output("y", F32, "N", 2);
        b.Node("Neg", ["r"], ["y"], name: "second");
        b.Node("Relu", ["x"], ["r"], name: "first");
        var g = OnnxModelLoader.Load(b.Bytes());
        Assert.Equal(["first", "second"], g.Nodes.Select(n => n.Name));
    }

    [Fact]
    public void DanglingInputsAndCyclesAreRefused()
    {
        var b = new ParsingModelBuilder().Input("x", F32, 2).Output("y", F32, 2);
        b.Node("Add", ["x", "nowhere"], ["y"], name: "adder");
        var e = Assert.Throws<OnnxImportException>(() => OnnxModelLoader.Load(b.Bytes()));
        Assert.Contains("nowhere", e.Message);
        var c = new ParsingModelBuilder().Input("x", F32, 2).Output("y", F32, 2);
        c.Node("Add", ["x", "b"], ["a"]);
        c.Node("Neg", ["a"], ["b"]);
        c.Node("Neg", ["a"], ["y"]);
        Assert.Contains("cycle", Assert.Throws<OnnxImportException>(() => OnnxModelLoader.Load(c.Bytes())).Message);
    }

    [Fact]
    public void DeclaredShapesKeepSymbolicDims()
    {
        var g = OnnxModelLoader.Load(Linear(b => { b.Init("W", Tensor.FromFloats([3, 2], W)); b.Init("B", Tensor.FromFloats([2], B)); }).Bytes());
        Assert.Equal([Dim.Sym("N"), Dim.Of(3)], g.Inputs[0].Shape);
        Assert.Equal([Dim.Sym("N"), Dim.Of(2)], g.Outputs[0].Shape);
        Assert.Equal([Dim.Sym("N"), Dim.Of(2)], g.ValueInfos["xw"].Shape);
    }
}
