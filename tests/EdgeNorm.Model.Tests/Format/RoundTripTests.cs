using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using EdgeNorm.Model.Format;
using EdgeNorm.Model.Ir;
using Xunit;

namespace EdgeNorm.Model.Tests.Format;

public sealed class RoundTripTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgn-rt-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static void AssertSameHeader(EdgnHeader expected, EdgnHeader actual)
    {
        Assert.Equal(expected.Inputs, actual.Inputs);
        Assert.Equal(expected.Outputs, actual.Outputs);
        Assert.Equal(expected.Values, actual.Values);
        Assert.Equal(expected.Nodes, actual.Nodes);
        Assert.Equal(expected.Tensors, actual.Tensors);
        Assert.Equal(expected.Metadata.OrderBy(kv => kv.Key), actual.Metadata.OrderBy(kv => kv.Key));
        Assert.Equal(expected.GoldenSets, actual.GoldenSets);
    }

    [Fact]
    public void WrittenModel_ReadsBackWithIdenticalHeaderAndBytes()
    {
        var builder = SampleModels.Small();
        var expected = builder.BuildHeader();
        using var model = EdgnModel.Load(builder.ToArray());

        Assert.Equal(EdgnFormat.CurrentVersion, model.FormatVersion);
        AssertSameHeader(expected, model.Header);
        foreach (var (name, bytes) in SampleModels.SmallTensorBytes())
            Assert.True(bytes.AsSpan().SequenceEqual(model.GetTensorData(name)), $"tensor '{name}' bytes differ after the round trip");
        Assert.True(model.VerifyChecksums().IsValid, model.VerifyChecksums().ToString());
    }

    [Fact]
    public void WrittenModel_KeepsEveryHeaderFeature()
    {
        using var model = EdgnModel.Load(SampleModels.SmallBytes());
        var h = model.Header;
        Assert.Equal(["x"], h.Inputs.Select(v => v.Name));
        Assert.Equal([-1L, 8], h.Inputs[0].Shape);
        Assert.Equal(DataType.Float32, h.Inputs[0].ExternalDType);
        Assert.Equal(0.05f, h.Inputs[0].Quant!.Scales[0]);
        Assert.Equal(128, h.Outputs[0].Quant!.ZeroPoints[0]);
        var fc1 = h.Nodes[0];
        Assert.Equal(["x", "fc1.w", "fc1.b", ""], fc1.Inputs);
        Assert.Equal(31, fc1.GetInt("shift", 0));
        Assert.Equal([1L << 30, 3], fc1.GetInts("multipliers")!);
        Assert.Equal(0.5f, fc1.Attributes["alpha"].Float);
        Assert.Equal([1.5f, -0.25f], fc1.Attributes["betas"].Floats!);
        Assert.Equal("log2", fc1.GetString("softmax"));
        var w = h.GetTensor("fc1.w");
        Assert.Equal(TensorLayout.PackedN16K4, w.Layout);
        Assert.Equal([5L, 8], w.Shape);
        Assert.Equal(PackedWeights.ByteLength(5, 8), w.Length);
        Assert.Equal(0, w.Quant!.Axis);
        Assert.Equal("cat\ndog\nünïcødé", h.Metadata["labels"]);
        Assert.Equal("golden.g0.y", h.GoldenSets[0].Outputs["y"]);
        Assert.Equal(DataType.Int8, h.Values.Single(v => v.Name == "h").DType);
    }

    [Fact]
    public void WriteFile_ThenOpen_RoundTrips()
    {
        string path = Path.Combine(_dir, "small.edgn");
        var builder = SampleModels.Small();
        builder.WriteFile(path);
        using var model = EdgnModel.Open(path);
        Assert.Equal(path, model.Path);
        Assert.Equal(new FileInfo(path).Length, model.FileLength);
        Assert.True(model.IsMemoryMapped);
        AssertSameHeader(builder.BuildHeader(), model.Header);
        foreach (var (name, bytes) in SampleModels.SmallTensorBytes())
            Assert.True(bytes.AsSpan().SequenceEqual(model.GetTensorData(name)), $"tensor '{name}' bytes differ after the round trip");
    }

    [Fact]
    public void EveryTensor_Is64ByteAligned_InTheFileAndInMemory()
    {
        string path = Path.Combine(_dir, "aligned.edgn");
        SampleModels.Small().WriteFile(path);
        using var model = EdgnModel.Open(path);
        Assert.Equal(0, model.DataOffset % 64);
        foreach (var t in model.Header.Tensors)
        {
            Assert.True(t.Offset % 64 == 0, $"tensor '{t.Name}' is at data offset {t.Offset}");
            nint address = AddressOf(model.GetTensorData(t.Name));
            if (t.Length > 0) Assert.True(address % 64 == 0, $"tensor '{t.Name}' is at address 0x{address:X}");
        }
    }

    [Fact]
    public void Open_MemoryMaps_TensorSpansPointIntoTheMappedView()
    {
        string path = Path.Combine(_dir, "mapped.edgn");
        SampleModels.Small().WriteFile(path);
        using var model = EdgnModel.Open(path);
        nint mapBase = model.MappedBase;
        Assert.NotEqual(0, mapBase);
        foreach (var t in model.Header.Tensors.Where(t => t.Length > 0))
        {
            ReadOnlySpan<byte> span = model.GetTensorData(t.Name);
            nint address = AddressOf(span);
            Assert.True(address == mapBase + model.DataOffset + t.Offset,
                $"tensor '{t.Name}' span is at 0x{address:X}, expected mapping base 0x{mapBase:X} + {model.DataOffset + t.Offset} (a copy?)");
            Assert.True(address + span.Length <= mapBase + model.FileLength, $"tensor '{t.Name}' span ends outside the mapping");
            Assert.Equal(address, AddressOf(model.GetTensorData(t.Name))); // same bytes every time, nothing cached elsewhere
        }
    }

    [Fact]
    public void Load_ReferencesTheGivenMemory_WithoutCopying()
    {
        byte[] image = SampleModels.SmallBytes();
        using var model = EdgnModel.Load(image);
        Assert.False(model.IsMemoryMapped);
        var t = model.Header.GetTensor("act.lut");
        ref byte expected = ref image[model.DataOffset + t.Offset];
        Assert.True(Unsafe.AreSame(ref expected, ref MemoryMarshal.GetReference(model.GetTensorData("act.lut"))));
    }

    [Fact]
    public void TypedTensorData_ViewsElements_AndRefusesAWrongElementSize()
    {
        using var model = EdgnModel.Load(SampleModels.SmallBytes());
        Assert.Equal([100, -200, 300, -400, 500], model.GetTensorData<int>("fc1.b").ToArray());
        Assert.Equal(-10000, model.GetTensorData<short>("emb")[0]);
        Assert.Throws<ArgumentException>(() => model.GetTensorData<long>("fc1.b").Length);
        Assert.Throws<ArgumentException>(() => model.GetTensorData("no.such.tensor").Length);
    }

    [Fact]
    public void VerifyChecksums_OfAMappedFile_CoversTensorsLargerThanItsReadChunk()
    {
        string path = Path.Combine(_dir, "big.edgn");
        var big = new byte[3 * (1 << 20) + 17];
        new Random(1).NextBytes(big);
        SampleModels.Minimal().AddTensor("big", DataType.UInt8, [big.Length], big).WriteFile(path);
        using (var m = EdgnModel.Open(path)) Assert.True(m.VerifyChecksums().IsValid);

        long at;
        using (var m = EdgnModel.Open(path)) at = m.DataOffset + m.Header.GetTensor("big").Offset + big.Length - 2;
        using (var fs = new FileStream(path, FileMode.Open, FileAccess.ReadWrite)) { fs.Position = at; fs.WriteByte((byte)(big[^2] ^ 1)); }
        using (var m = EdgnModel.Open(path))
            Assert.Equal(["big"], m.VerifyChecksums().CorruptTensors);
    }

    [Fact]
    public void Builder_IsDeterministic()
    {
        Assert.Equal(SampleModels.SmallBytes(), SampleModels.SmallBytes());
    }

    [Fact]
    public void WriteFile_ReplacesAnExistingFile_AndLeavesNoTemporaryFiles()
    {
        string path = Path.Combine(_dir, "m.edgn");
        File.WriteAllText(path, "old contents");
        SampleModels.Minimal().WriteFile(path);
        using (var m = EdgnModel.Open(path)) Assert.Single(m.Header.Nodes);
        Assert.Equal(["m.edgn"], Directory.GetFiles(_dir).Select(Path.GetFileName));
    }

    [Fact]
    public void WriteFile_OfAnInvalidModel_ThrowsBeforeTouchingTheDisk()
    {
        string path = Path.Combine(_dir, "keep.edgn");
        File.WriteAllText(path, "previous model");
        var b = SampleModels.Minimal().AddNode("bad", "Mul", ["nope"], ["z"]);
        var e = Assert.Throws<ModelFormatException>(() => b.WriteFile(path));
        Assert.Contains("'nope'", e.Message);
        Assert.Equal("previous model", File.ReadAllText(path));
        Assert.Equal(["keep.edgn"], Directory.GetFiles(_dir).Select(Path.GetFileName));
    }

    [Fact]
    public void Dispose_MakesFurtherReadsThrow()
    {
        string path = Path.Combine(_dir, "d.edgn");
        SampleModels.Minimal().WriteFile(path);
        var model = EdgnModel.Open(path);
        model.Dispose();
        model.Dispose();
        Assert.Throws<ObjectDisposedException>(() => model.GetTensorData("w").Length);
        File.Delete(path); // the mapping is gone, so the file can go too
    }

    [Fact]
    public void Open_OfAMissingFile_IsAnEdgeNormException()
    {
        var e = Assert.Throws<EdgeNormException>(() => EdgnModel.Open(Path.Combine(_dir, "missing.edgn")));
        Assert.Contains("missing.edgn", e.Message);
    }

    [Fact]
    public void Header_JsonIsUtf8_AndExposed()
    {
        using var model = EdgnModel.Load(SampleModels.SmallBytes());
        Assert.StartsWith("{\"inputs\":[", model.HeaderJson);
        Assert.Contains("ünïcødé", model.HeaderJson);
    }

    private static unsafe nint AddressOf(ReadOnlySpan<byte> span) =>
        (nint)Unsafe.AsPointer(ref MemoryMarshal.GetReference(span));
}
