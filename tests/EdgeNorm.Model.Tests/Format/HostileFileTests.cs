using System.Buffers.Binary;
using System.Text.Json.Nodes;
using EdgeNorm.Model.Format;
using Xunit;

namespace EdgeNorm.Model.Tests.Format;

/// <summary>Every way a file can be wrong is refused with a <see cref="ModelFormatException"/> naming the problem.</summary>
public sealed class HostileFileTests
{
    private static readonly byte[] Valid = SampleModels.SmallBytes();

    private static ModelFormatException Rejected(byte[] image, params string[] mustMention)
    {
        var e = Assert.Throws<ModelFormatException>(() => EdgnModel.Load(image).Dispose());
        foreach (string s in mustMention)
            Assert.True(e.Message.Contains(s, StringComparison.Ordinal), $"message \"{e.Message}\" does not mention \"{s}\"");
        Assert.DoesNotContain('\n', e.Message);
        return e;
    }

    private static JsonObject Tensor(JsonObject root, string name) =>
        root["tensors"]!.AsArray().Select(t => t!.AsObject()).Single(t => (string)t["name"]! == name);

    private static byte[] Edit(Action<JsonObject> edit) => RawEdgn.EditJson(Valid, edit);

    private static byte[] Preamble(Action<byte[]> edit, bool fixCrc = true)
    {
        byte[] f = (byte[])Valid.Clone();
        edit(f);
        if (fixCrc) RawEdgn.FixHeaderCrc(f);
        return f;
    }

    private static long DataLength => (long)BinaryPrimitives.ReadUInt64LittleEndian(Valid.AsSpan(32));

    // ---- the container ------------------------------------------------------------------------------

    [Fact]
    public void TruncatedFile_AtEverySixteenthOfItsLength_IsRejected()
    {
        for (int i = 0; i < 16; i++)
        {
            int len = Valid.Length * i / 16;
            var e = Assert.Throws<ModelFormatException>(() => EdgnModel.Load(Valid.AsMemory(0, len)).Dispose());
            Assert.True(e.Message.Length > 0 && !e.Message.Contains('\n'), $"truncated to {len}: \"{e.Message}\"");
        }
        Rejected(Valid[..^1], "truncated");
    }

    [Fact]
    public void TruncatedFile_OnDisk_IsRejectedWithThePathInTheMessage()
    {
        string path = Path.Combine(Path.GetTempPath(), $"edgn-trunc-{Guid.NewGuid():N}.edgn");
        try
        {
            for (int i = 0; i < 16; i++)
            {
                File.WriteAllBytes(path, Valid[..(Valid.Length * i / 16)]);
                var e = Assert.Throws<ModelFormatException>(() => EdgnModel.Open(path).Dispose());
                Assert.StartsWith(path + ": ", e.Message);
            }
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void EverySingleByteChange_InPreambleHeaderOrPadding_IsRejected()
    {
        using var m = EdgnModel.Load(Valid);
        for (long pos = 0; pos < m.DataOffset; pos++)
            foreach (byte mask in new byte[] { 0x01, 0x80, 0xFF })
            {
                byte[] f = (byte[])Valid.Clone();
                f[pos] ^= mask;
                var e = Record.Exception(() => EdgnModel.Load(f).Dispose());
                Assert.True(e is ModelFormatException, $"byte {pos} ^ 0x{mask:X2}: expected ModelFormatException, got {e?.GetType().Name ?? "a successful open"}");
            }
    }

    [Fact]
    public void FileShorterThanThePreamble_IsRejected() => Rejected(Valid[..10], "10 bytes", "64-byte preamble");

    [Fact]
    public void WrongMagic_IsRejected() => Rejected(Preamble(f => f[0] = (byte)'X'), "not an .edgn file", "4544474E0D0A1A0A");

    [Fact]
    public void OtherMajorVersion_IsRejected_NamingBothVersions()
    {
        var (json, data) = RawEdgn.Split(Valid);
        Rejected(RawEdgn.Build(json, data, major: 1, minor: 0), "1.0", "0.1", "newer");
        Rejected(RawEdgn.Build(json, data, major: 7, minor: 3), "7.3", "0.1");
    }

    [Fact]
    public void OtherPreReleaseMinorVersion_IsRejected_NamingBothVersions()
    {
        var (json, data) = RawEdgn.Split(Valid);
        Rejected(RawEdgn.Build(json, data, major: 0, minor: 2), "0.2", "0.1");
        Rejected(RawEdgn.Build(json, data, major: 0, minor: 0), "0.0", "0.1", "re-export");
    }

    [Fact]
    public void NonZeroFlags_AreRejected() => Rejected(Preamble(f => f[12] = 1), "flags");

    [Fact]
    public void NonZeroReservedBytes_AreRejected() => Rejected(Preamble(f => f[50] = 9), "reserved preamble byte 50");

    [Fact]
    public void HeaderLengthLargerThanFile_IsRejected() =>
        Rejected(Preamble(f => BinaryPrimitives.WriteUInt64LittleEndian(f.AsSpan(16), (ulong)Valid.Length)), "header length", "past the end");

    [Fact]
    public void HeaderLengthAboveTheLimit_IsRejected() =>
        Rejected(Preamble(f => BinaryPrimitives.WriteUInt64LittleEndian(f.AsSpan(16), ulong.MaxValue)), "exceeds the limit");

    [Fact]
    public void ZeroHeaderLength_IsRejected() =>
        Rejected(Preamble(f => BinaryPrimitives.WriteUInt64LittleEndian(f.AsSpan(16), 0)), "header length is 0");

    [Fact]
    public void MisplacedDataOffset_IsRejected() =>
        Rejected(Preamble(f => BinaryPrimitives.WriteUInt64LittleEndian(f.AsSpan(24), 64)), "data offset is 64");

    [Fact]
    public void DataLengthBeyondTheFile_IsRejectedAsTruncated() =>
        Rejected(Preamble(f => BinaryPrimitives.WriteUInt64LittleEndian(f.AsSpan(32), 1UL << 40)), "truncated");

    [Fact]
    public void TrailingBytes_AreRejected() => Rejected([.. Valid, 0, 0], "2 unexpected bytes");

    [Fact]
    public void HeaderChecksumMismatch_IsRejected() =>
        Rejected(Preamble(f => f[64 + 5] ^= 0x20, fixCrc: false), "header checksum mismatch", "stored 0x", "computed 0x");

    [Fact]
    public void NonZeroPaddingBeforeData_IsRejected()
    {
        using var m = EdgnModel.Load(Valid);
        Assert.True(m.DataOffset > 64 + m.HeaderLength, "the sample needs padding after its header");
        Rejected(Preamble(f => f[m.DataOffset - 1] = 0x20, fixCrc: false), "padding byte", $"offset {m.DataOffset - 1}");
    }

    // ---- the header -----------------------------------------------------------------------------------

    public static TheoryData<string> HeaderCases => [.. HeaderEdits.Keys];

    private static readonly Dictionary<string, (Func<byte[]> Image, string[] Mention)> HeaderEdits = new()
    {
        ["TensorOffsetPastDataSection"] = (() => Edit(r => Tensor(r, "fc1.b")["offset"] = DataLength + 64), ["tensor 'fc1.b'", "past the end"]),
        ["TensorLengthPastDataSection"] = (() => Edit(r => Tensor(r, "act.lut")["length"] = DataLength), ["tensor 'act.lut'", "past the end"]),
        ["TensorOffsetNegative"] = (() => Edit(r => Tensor(r, "fc1.b")["offset"] = -64), ["tensor 'fc1.b'", "non-negative"]),
        ["TensorOffsetNotAligned"] = (() => Edit(r => Tensor(r, "fc1.b")["offset"] = (long)Tensor(r, "fc1.b")["offset"]! + 4), ["tensor 'fc1.b'", "not a multiple of 64"]),
        ["TensorOf2Pow40Elements_WithThatLength"] = (() => Edit(r => { Tensor(r, "act.lut")["shape"] = new JsonArray(1L << 40); Tensor(r, "act.lut")["length"] = 1L << 40; }), ["tensor 'act.lut'", "past the end"]),
        ["TensorOf2Pow40Elements_WithItsOldLength"] = (() => Edit(r => Tensor(r, "act.lut")["shape"] = new JsonArray(1L << 40)), ["tensor 'act.lut'", "1099511627776", "does not match"]),
        ["TensorElementCountOverflows"] = (() => Edit(r => Tensor(r, "act.lut")["shape"] = new JsonArray(1L << 62, 1L << 62)), ["tensor 'act.lut'", "overflows"]),
        ["TensorLengthDoesNotMatchShape"] = (() => Edit(r => Tensor(r, "fc1.b")["shape"] = new JsonArray(6)), ["tensor 'fc1.b'", "length 20", "24"]),
        ["TensorNegativeDimension"] = (() => Edit(r => Tensor(r, "act.lut")["shape"] = new JsonArray(-1)), ["tensor 'act.lut'", "dimension 0 is -1"]),
        ["TensorRankAboveLimit"] = (() => Edit(r => Tensor(r, "act.lut")["shape"] = new JsonArray(Enumerable.Range(0, 33).Select(_ => (JsonNode?)1).ToArray())), ["rank 33"]),
        ["TensorUnknownDType"] = (() => Edit(r => Tensor(r, "fc1.b")["dtype"] = "int4"), ["tensor 'fc1.b'", "unknown dtype 'int4'"]),
        ["TensorUnknownLayout"] = (() => Edit(r => Tensor(r, "fc1.b")["layout"] = "col_major"), ["tensor 'fc1.b'", "unknown layout 'col_major'"]),
        ["TensorMissingCrc"] = (() => Edit(r => Tensor(r, "fc1.b").Remove("crc32c")), ["tensor 'fc1.b'", "'crc32c' is missing"]),
        ["TensorsOverlap"] = (() => Edit(r => Tensor(r, "fc1.b")["offset"] = Tensor(r, "fc1.w")["offset"]!.DeepClone()), ["overlaps", "fc1.b", "fc1.w"]),
        ["DuplicateTensorNames"] = (() => Edit(r => Tensor(r, "fc1.m")["name"] = "fc1.b"), ["tensor name 'fc1.b' is used twice"]),
        ["PackedWeightNotInt8"] = (() => Edit(r => Tensor(r, "fc1.w")["dtype"] = "uint8"), ["tensor 'fc1.w'", "needs dtype int8"]),
        ["PackedWeightLengthWrong"] = (() => Edit(r => Tensor(r, "fc1.w")["shape"] = new JsonArray(17, 8)), ["tensor 'fc1.w'", "packed_n16k4 [17,8]"]),
        ["PackedWeightNotRank2"] = (() => Edit(r => Tensor(r, "fc1.w")["shape"] = new JsonArray(5, 8, 1)), ["tensor 'fc1.w'", "rank 3"]),
        ["QuantScaleCountWrong"] = (() => Edit(r => Tensor(r, "fc1.w")["quant"]!["scales"] = new JsonArray(0.5)), ["tensor 'fc1.w'", "1 scales", "expected 5"]),
        ["QuantScaleZero"] = (() => Edit(r => r["inputs"]![0]!["quant"]!["scales"] = new JsonArray(0)), ["input 'x'", "not finite and positive"]),
        ["QuantZeroPointOutOfRange"] = (() => Edit(r => r["inputs"]![0]!["quant"]!["zero_points"] = new JsonArray(200)), ["input 'x'", "zero point 200", "int8"]),
        ["QuantAxisOutOfRank"] = (() => Edit(r => Tensor(r, "fc1.w")["quant"]!["axis"] = 2), ["tensor 'fc1.w'", "axis 2"]),
        ["QuantOnFloat32"] = (() => Edit(r => Tensor(r, "golden.g0.x")["quant"] = new JsonObject { ["scales"] = new JsonArray(1), ["zero_points"] = new JsonArray(0) }), ["golden.g0.x", "float32 cannot carry"]),
        ["InputNonBatchDimensionDynamic"] = (() => Edit(r => r["inputs"]![0]!["shape"] = new JsonArray(4, -1)), ["input 'x'", "dimension 1 is -1", "only axis 0"]),
        ["InputNameCollidesWithTensor"] = (() => Edit(r => r["inputs"]![0]!["name"] = "fc1.b"), ["input 'fc1.b'", "stored tensor"]),
        ["NoInputs"] = (() => Edit(r => r["inputs"] = new JsonArray()), ["'inputs' is empty"]),
        ["MissingTensorsField"] = (() => Edit(r => r.Remove("tensors")), ["'tensors' is missing"]),
        ["DuplicateNodeNames"] = (() => Edit(r => r["nodes"]![1]!["name"] = "fc1"), ["node name 'fc1' is used twice"]),
        ["NodeOutputProducedTwice"] = (() => Edit(r => r["nodes"]![1]!["outputs"] = new JsonArray("h")), ["node 'act'", "output 'h'", "already defined"]),
        ["NodeOutputShadowsTensor"] = (() => Edit(r => r["nodes"]![1]!["outputs"] = new JsonArray("emb")), ["node 'act'", "output 'emb'", "stored tensor"]),
        ["NodeInputUnknown"] = (() => Edit(r => r["nodes"]![0]!["inputs"]![1] = "ghost"), ["node 'fc1'", "input 'ghost'"]),
        ["NodesNotInTopologicalOrder"] = (() => Edit(r => { var n = r["nodes"]!.AsArray(); var a = n[0]!.DeepClone(); n.RemoveAt(0); n.Add(a); }), ["node 'act'", "input 'h'", "comes later"]),
        ["NodeWithoutOp"] = (() => Edit(r => r["nodes"]![0]!.AsObject().Remove("op")), ["node 'fc1'", "'op'"]),
        ["AttributeWithTwoKinds"] = (() => Edit(r => r["nodes"]![0]!["attributes"]!["shift"] = new JsonObject { ["int"] = 1, ["float"] = 2 }), ["attribute 'shift'", "exactly one", "found 2"]),
        ["AttributeWithNoKind"] = (() => Edit(r => r["nodes"]![0]!["attributes"]!["shift"] = new JsonObject()), ["attribute 'shift'", "found 0"]),
        ["OutputNotProduced"] = (() => Edit(r => r["outputs"]![0]!["name"] = "zzz"), ["output 'zzz'", "not produced"]),
        ["ValueDescribesNoNodeOutput"] = (() => Edit(r => r["values"]![0]!["name"] = "fc1.b"), ["value 'fc1.b'", "not the output of any node"]),
        ["GoldenRefersToUnknownTensor"] = (() => Edit(r => r["golden"]![0]!["outputs"]!["y"] = "nope"), ["golden set 'g0'", "unknown tensor 'nope'"]),
        ["GoldenTensorOfWrongDType"] = (() => Edit(r => r["golden"]![0]!["inputs"]!["x"] = "emb"), ["golden set 'g0'", "'emb' is int16", "float32"]),
        ["GoldenTensorOfWrongShape"] = (() => Edit(r => r["golden"]![0]!["outputs"]!["y"] = "golden.g0.x"), ["golden set 'g0'", "[2,8]", "[-1,5]"]),
        ["GoldenMissingAnInput"] = (() => Edit(r => r["golden"]![0]!["inputs"] = new JsonObject()), ["golden set 'g0'", "graph input 'x'"]),
        ["GoldenNamesANonOutput"] = (() => Edit(r => r["golden"]![0]!["outputs"]!["h"] = "golden.g0.y"), ["golden set 'g0'", "'h' is not a graph output"]),
        ["MetadataValueNotAString"] = (() => Edit(r => r["metadata"]!["calibration.seed"] = 42), ["header JSON is invalid"]),
        ["UnknownField"] = (() => Edit(r => r["surprise"] = 1), ["header JSON is invalid", "surprise"]),
        ["DuplicateJsonKey"] = (() => RawEdgn.Build(RawEdgn.Split(Valid).Json.Replace("{\"inputs\":", "{\"nodes\":[],\"inputs\":"), RawEdgn.Split(Valid).Data), ["header JSON is invalid", "nodes"]),
        ["NumberOutOfRange"] = (() => Edit(r => Tensor(r, "fc1.b")["offset"] = 1e30), ["header JSON is invalid"]),
        ["NotJson"] = (() => RawEdgn.Build("{\"inputs\": [", RawEdgn.Split(Valid).Data), ["header JSON is invalid"]),
        ["JsonArrayAtTheTop"] = (() => RawEdgn.Build("[]", RawEdgn.Split(Valid).Data), ["header JSON is invalid"]),
        ["JsonNullAtTheTop"] = (() => RawEdgn.Build("null", RawEdgn.Split(Valid).Data), ["'null'"]),
        ["InvalidUtf8"] = (() => RawEdgn.Build([(byte)'{', (byte)'"', 0xC3, 0x28, (byte)'"', (byte)':', (byte)'1', (byte)'}'], RawEdgn.Split(Valid).Data), ["not valid UTF-8"]),
        ["DeeplyNestedJson"] = (() => RawEdgn.Build(new string('[', 10000) + new string(']', 10000), RawEdgn.Split(Valid).Data), ["header JSON is invalid"]),
    };

    [Theory]
    [MemberData(nameof(HeaderCases))]
    public void InconsistentHeader_IsRejected_NamingTheProblem(string rule)
    {
        var (image, mention) = HeaderEdits[rule];
        Rejected(image(), mention);
    }

    [Fact]
    public void RawBuilderOfTheTests_ProducesFilesTheReaderAccepts()
    {
        var (json, data) = RawEdgn.Split(Valid);
        Assert.Equal(Valid, RawEdgn.Build(json, data));
    }

    // ---- the data -------------------------------------------------------------------------------------

    [Fact]
    public void FlippedByteInATensor_StillOpens_AndVerifyNamesThatTensor()
    {
        using var clean = EdgnModel.Load(Valid);
        foreach (var t in clean.Header.Tensors.Where(t => t.Length > 0))
        {
            byte[] f = (byte[])Valid.Clone();
            f[clean.DataOffset + t.Offset + t.Length / 2] ^= 0x10;
            using var m = EdgnModel.Load(f);
            var report = m.VerifyChecksums();
            Assert.False(report.IsValid);
            Assert.Equal([t.Name], report.CorruptTensors);
            Assert.Contains(report.Mismatches, x => x.Scope == ChecksumScope.Tensor && x.Message.Contains($"'{t.Name}'"));
            Assert.Contains(report.Mismatches, x => x.Scope == ChecksumScope.DataSection);
        }
    }

    [Fact]
    public void EmptyTensorPlacedInsideAnotherTensor_IsAllowed_AndVerifiesClean()
    {
        byte[] f = Edit(r => Tensor(r, "act.zero")["offset"] = (long)Tensor(r, "fc1.w")["offset"]! + 64);
        using var m = EdgnModel.Load(f);
        Assert.True(m.VerifyChecksums().IsValid, m.VerifyChecksums().ToString());
        Assert.Equal(0, m.GetTensorData("act.zero").Length);
    }

    [Fact]
    public void FlippedPaddingByteBetweenTensors_IsADataSectionMismatchOnly()
    {
        using var clean = EdgnModel.Load(Valid);
        var b = clean.Header.GetTensor("fc1.b"); // 20 bytes, then padding
        byte[] f = (byte[])Valid.Clone();
        f[clean.DataOffset + b.Offset + b.Length + 3] = 0x55;
        using var m = EdgnModel.Load(f);
        var mismatch = Assert.Single(m.VerifyChecksums().Mismatches);
        Assert.Equal(ChecksumScope.DataSection, mismatch.Scope);
        Assert.Null(mismatch.TensorName);
        Assert.Contains("outside every tensor", mismatch.Message);
    }

    [Fact]
    public void PackedWeightWithWrongColumnSums_ButMatchingCrc_IsReportedByVerify()
    {
        using var clean = EdgnModel.Load(Valid);
        var w = clean.Header.GetTensor("fc1.w");
        var (json, data) = RawEdgn.Split(Valid);
        data[w.Offset + w.Length - 64] ^= 1; // inside the column sums (row 0)
        var root = JsonNode.Parse(json)!.AsObject();
        Tensor(root, "fc1.w")["crc32c"] = RawEdgn.Crc(data.AsSpan((int)w.Offset, (int)w.Length));
        using var m = EdgnModel.Load(RawEdgn.Build(root.ToJsonString(), data));
        var mismatch = Assert.Single(m.VerifyChecksums().Mismatches);
        Assert.Equal(ChecksumScope.PackedWeights, mismatch.Scope);
        Assert.Equal("fc1.w", mismatch.TensorName);
        Assert.Contains("column sum of row 0", mismatch.Message);
    }
}
