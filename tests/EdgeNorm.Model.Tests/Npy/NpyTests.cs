using System.Text;
using EdgeNorm.Model.Ir;
using EdgeNorm.Model.Npy;
using EdgeNorm.Tests;
using Xunit;

namespace EdgeNorm.Model.Tests.Npy;

/// <summary>Reading the files NumPy wrote (tests/fixtures/npy/make_npy_fixtures.py) and writing what NumPy would.</summary>
public sealed class NpyTests
{
    private static string Fixture(string name) => TestPaths.Fixture("npy", name);

    private static NpyFormatException Rejected(byte[] bytes, string mention)
    {
        var e = Assert.Throws<NpyFormatException>(() => EdgeNorm.Model.Npy.Npy.Read(bytes));
        Assert.True(e.Message.Contains(mention, StringComparison.Ordinal), $"message \"{e.Message}\" does not mention \"{mention}\"");
        Assert.DoesNotContain('\n', e.Message);
        return e;
    }

    // ---- files written by NumPy ----------------------------------------------------------------------

    [Fact]
    public void Float32_2x3()
    {
        var a = EdgeNorm.Model.Npy.Npy.Read(Fixture("f32_2x3.npy"));
        Assert.Equal(DataType.Float32, a.DType);
        Assert.Equal([2, 3], a.Shape);
        Assert.Equal([-1f, -0.5f, 0f, 0.5f, 1f, 1.5f], a.AsFloat32());
    }

    [Fact]
    public void Float64_IsReadAndNarrowsToFloat32()
    {
        var a = EdgeNorm.Model.Npy.Npy.Read(Fixture("f64_3.npy"));
        Assert.Equal(DataType.Float64, a.DType);
        Assert.Equal([0.1, -2.5, 1e300], a.AsFloat64());
        Assert.Equal([0.1f, -2.5f, float.PositiveInfinity], a.AsFloat32());
    }

    [Fact]
    public void Int64_KeepsFullRange()
    {
        var a = EdgeNorm.Model.Npy.Npy.Read(Fixture("i64_4.npy"));
        Assert.Equal(DataType.Int64, a.DType);
        Assert.Equal([0L, -1, 1L << 40, -(1L << 62)], a.AsInt64());
        Assert.Throws<NpyFormatException>(() => a.AsInt32());
    }

    [Fact]
    public void Int32_2x2()
    {
        var a = EdgeNorm.Model.Npy.Npy.Read(Fixture("i32_2x2.npy"));
        Assert.Equal([1, -2, int.MaxValue, int.MinValue], a.AsInt32());
        Assert.Equal([1, -2, int.MaxValue, int.MinValue], a.AsSpan<int>().ToArray());
    }

    [Fact]
    public void UInt8_Int8_Int16()
    {
        Assert.Equal(Enumerable.Range(0, 8).Select(i => (byte)(i * 31)).ToArray(), EdgeNorm.Model.Npy.Npy.Read(Fixture("u8_2x2x2.npy")).AsSpan<byte>().ToArray());
        Assert.Equal([-128, -1, 0, 1, 127], EdgeNorm.Model.Npy.Npy.Read(Fixture("i8_5.npy")).AsSpan<sbyte>().ToArray());
        Assert.Equal([-32768L, 7, 32767], EdgeNorm.Model.Npy.Npy.Read(Fixture("i16_3.npy")).AsInt64());
    }

    [Fact]
    public void Bool()
    {
        var a = EdgeNorm.Model.Npy.Npy.Read(Fixture("bool_4.npy"));
        Assert.Equal(DataType.Bool, a.DType);
        Assert.Equal([true, false, false, true], a.AsSpan<bool>().ToArray());
        Assert.Equal([1L, 0, 0, 1], a.AsInt64());
    }

    [Fact]
    public void ZeroDimensionalArray_HasEmptyShapeAndOneElement()
    {
        var a = EdgeNorm.Model.Npy.Npy.Read(Fixture("scalar_f32.npy"));
        Assert.Empty(a.Shape);
        Assert.Equal(1, a.Length);
        Assert.Equal([3.25f], a.AsFloat32());
    }

    [Fact]
    public void EmptyArray_HasAZeroDimension()
    {
        var a = EdgeNorm.Model.Npy.Npy.Read(Fixture("empty_0x3_f32.npy"));
        Assert.Equal([0, 3], a.Shape);
        Assert.Empty(a.AsFloat32());
    }

    [Fact]
    public void Version2And3Headers_AreRead()
    {
        Assert.Equal([-1f, -0.5f, 0f, 0.5f, 1f, 1.5f], EdgeNorm.Model.Npy.Npy.Read(Fixture("v2_f32_2x3.npy")).AsFloat32());
        Assert.Equal([7L, 8, 9], EdgeNorm.Model.Npy.Npy.Read(Fixture("v3_i64_3.npy")).AsInt64());
    }

    [Fact]
    public void FortranOrder_IsRejected()
    {
        var e = Assert.Throws<NpyFormatException>(() => EdgeNorm.Model.Npy.Npy.Read(Fixture("fortran_f32_2x3.npy")));
        Assert.Contains("Fortran", e.Message);
        Assert.Contains("fortran_f32_2x3.npy", e.Message);
    }

    [Fact]
    public void BigEndian_IsRejected_SayingHowToConvert()
    {
        var e = Assert.Throws<NpyFormatException>(() => EdgeNorm.Model.Npy.Npy.Read(Fixture("bigendian_f32_3.npy")));
        Assert.Contains("big-endian", e.Message);
        Assert.Contains("astype('<f4')", e.Message);
    }

    [Fact]
    public void UnsupportedDTypes_AreRejected()
    {
        Assert.Contains("unsupported dtype '<f2'", Assert.Throws<NpyFormatException>(() => EdgeNorm.Model.Npy.Npy.Read(Fixture("f16_2.npy"))).Message);
        Assert.Contains("structured", Assert.Throws<NpyFormatException>(() => EdgeNorm.Model.Npy.Npy.Read(Fixture("structured_2.npy"))).Message);
    }

    // ---- writing ------------------------------------------------------------------------------------------

    public static TheoryData<string> ByteIdentical => ["f32_2x3.npy", "f64_3.npy", "i64_4.npy", "i32_2x2.npy", "u8_2x2x2.npy",
        "i8_5.npy", "i16_3.npy", "bool_4.npy", "scalar_f32.npy", "empty_0x3_f32.npy"];

    [Theory]
    [MemberData(nameof(ByteIdentical))]
    public void Write_ProducesTheSameBytesAsNumPySave(string file)
    {
        byte[] numpy = File.ReadAllBytes(Fixture(file));
        byte[] ours = EdgeNorm.Model.Npy.Npy.ToBytes(EdgeNorm.Model.Npy.Npy.Read(Fixture(file)));
        Assert.True(numpy.AsSpan().SequenceEqual(ours),
            $"{file}: NumPy wrote {numpy.Length} bytes starting \"{Encoding.Latin1.GetString(numpy, 10, Math.Min(60, numpy.Length - 10))}\", we wrote \"{Encoding.Latin1.GetString(ours, 10, Math.Min(60, ours.Length - 10))}\"");
    }

    [Fact]
    public void WriteThenRead_RoundTripsEveryDType()
    {
        var arrays = new[]
        {
            NpyArray.Create<float>([2, 2], [1.5f, -0f, float.NaN, float.MaxValue]),
            NpyArray.Create<double>([1], [Math.PI]),
            NpyArray.Create<long>([3], [long.MinValue, 0, long.MaxValue]),
            NpyArray.Create<int>([1, 1, 2], [int.MinValue, int.MaxValue]),
            NpyArray.Create<short>([2], [short.MinValue, short.MaxValue]),
            NpyArray.Create<ushort>([2], [0, ushort.MaxValue]),
            NpyArray.Create<byte>([0], []),
            NpyArray.Create<sbyte>([], [-7]),
            NpyArray.Create<bool>([2], [true, false]),
        };
        string path = Path.Combine(Path.GetTempPath(), $"npy-rt-{Guid.NewGuid():N}.npy");
        try
        {
            foreach (var a in arrays)
            {
                EdgeNorm.Model.Npy.Npy.Write(path, a);
                var b = EdgeNorm.Model.Npy.Npy.Read(path);
                Assert.Equal(a.DType, b.DType);
                Assert.Equal(a.Shape, b.Shape);
                Assert.True(a.Data.AsSpan().SequenceEqual(b.Data), $"{a}: bytes differ");
            }
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Write_AlignsTheDataTo64Bytes_AndUsesVersion1()
    {
        byte[] bytes = EdgeNorm.Model.Npy.Npy.ToBytes(NpyArray.Create<float>([1, 2], [1f, 2f]));
        Assert.Equal(1, bytes[6]);
        Assert.Equal(0, (10 + BitConverter.ToUInt16(bytes, 8)) % 64);
    }

    [Fact]
    public void Write_OfAHeaderTooLongForVersion1_UsesVersion2_AsNumPyDoes()
    {
        var a = new NpyArray(DataType.UInt8, Enumerable.Repeat(1, 30000).ToArray(), [7]);
        byte[] bytes = EdgeNorm.Model.Npy.Npy.ToBytes(a);
        Assert.Equal(2, bytes[6]);
        Assert.Equal(0L, (12 + BitConverter.ToUInt32(bytes, 8)) % 64);
        Rejected(bytes, "rank 30000"); // written for NumPy's sake; this reader stops at rank 32
    }

    [Fact]
    public void TensorConversion_RoundTrips()
    {
        var f = Tensor.FromFloats([2, 2], [1, 2, 3, 4]);
        var fa = NpyArray.FromTensor(f);
        Assert.Equal(DataType.Float32, fa.DType);
        Assert.Equal(f.F, fa.ToTensor().F);

        var l = Tensor.FromLongs(DataType.Int64, [3], [1, -2, 3]);
        Assert.Equal(l.L, NpyArray.FromTensor(l).ToTensor().L);

        var u = Tensor.FromLongs(DataType.UInt8, [2], [0, 255]);
        var ua = NpyArray.FromTensor(u);
        Assert.Equal(DataType.UInt8, ua.DType);
        Assert.Equal(DataType.UInt8, ua.ToTensor().DataType);
        Assert.Throws<ArgumentException>(() => NpyArray.FromTensor(Tensor.FromLongs(DataType.Int8, [1], [200])));

        var d = EdgeNorm.Model.Npy.Npy.Read(Fixture("f64_3.npy")).ToTensor();
        Assert.Equal(DataType.Float32, d.DataType);
        Assert.Equal([3], d.Shape);
    }

    // ---- hostile files ---------------------------------------------------------------------------------

    private static byte[] WithHeader(string header, byte major = 1, int dataBytes = 0)
    {
        byte[] h = Encoding.Latin1.GetBytes(header);
        var list = new List<byte> { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', major, 0 };
        if (major == 1) list.AddRange(BitConverter.GetBytes((ushort)h.Length)); else list.AddRange(BitConverter.GetBytes((uint)h.Length));
        list.AddRange(h);
        list.AddRange(new byte[dataBytes]);
        return [.. list];
    }

    [Fact]
    public void TruncatedData_IsRejected_AtEverySixteenth()
    {
        byte[] full = File.ReadAllBytes(Fixture("i64_4.npy"));
        for (int i = 0; i < 16; i++)
        {
            var e = Assert.Throws<NpyFormatException>(() => EdgeNorm.Model.Npy.Npy.Read(full.AsSpan(0, full.Length * i / 16)));
            Assert.True(e.Message.Length > 0 && !e.Message.Contains('\n'), e.Message);
        }
        Rejected(full[..^1], "truncated");
    }

    [Fact]
    public void TruncatedData_FromANonSeekableStream_IsRejected()
    {
        byte[] full = File.ReadAllBytes(Fixture("f32_2x3.npy"));
        var e = Assert.Throws<NpyFormatException>(() => EdgeNorm.Model.Npy.Npy.Read(new NonSeekable(full[..^3])));
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void TrailingBytes_AreRejected() => Rejected([.. File.ReadAllBytes(Fixture("i8_5.npy")), 1], "1 unexpected bytes");

    [Fact]
    public void NotNpy_IsRejected() => Rejected(Encoding.ASCII.GetBytes("PK\x03\x04 this is a zip"), "not a .npy file");

    [Fact]
    public void UnknownVersion_IsRejected() => Rejected(WithHeader("{}", major: 9), "version 9.0");

    [Fact]
    public void AbsurdShape_IsRejectedWithoutAllocating() =>
        Rejected(WithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, 1099511627776), }\n"), "dimension 1099511627776 is too large");

    [Fact]
    public void HugeButRepresentableShape_IsRejectedAsTooLargeOrTruncated() =>
        Rejected(WithHeader("{'descr': '<f8', 'fortran_order': False, 'shape': (2147483647, 2147483647), }\n"), "too large");

    [Fact]
    public void ShapeLargerThanTheFile_IsRejectedAsTruncated() =>
        Rejected(WithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000,), }\n", dataBytes: 8), "truncated");

    [Fact]
    public void NegativeDimension_IsRejected() =>
        Rejected(WithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }\n"), "negative dimension");

    [Fact]
    public void IntegerOverflowInHeader_IsRejected() =>
        Rejected(WithHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999,), }\n"), "out-of-range integer");

    [Theory]
    [InlineData("{'descr': '<f4', 'fortran_order': False}", "keys are")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'extra': 1}", "keys are")]
    [InlineData("{'descr': '<f4', 'fortran_order': 0, 'shape': (2,)}", "fortran_order")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': [2]}", "not a tuple")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': ('2',)}", "non-integer")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2,)", "missing '}'")]
    [InlineData("{'descr': '<f4, 'fortran_order': False, 'shape': (2,)}", "malformed header")]
    [InlineData("{'descr': '<f4', 'descr': '<f4', 'shape': (2,)}", "twice")]
    [InlineData("['descr']", "not a dictionary")]
    [InlineData("{'descr': '<U3', 'fortran_order': False, 'shape': (2,)}", "unsupported dtype '<U3'")]
    [InlineData("{'descr': '|O', 'fortran_order': False, 'shape': (2,)}", "unsupported dtype '|O'")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} junk", "after the dictionary")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': ((((((((((2,),),),),),),),),),)}", "nested too deeply")]
    [InlineData("", "unexpected end")]
    public void MalformedHeader_IsRejected(string header, string mention) => Rejected(WithHeader(header + "\n"), mention);

    [Fact]
    public void HeaderLengthBeyondTheFile_IsRejected()
    {
        byte[] f = WithHeader("{}");
        f[8] = 0xFF; f[9] = 0xFF;
        Rejected(f, "truncated");
    }

    [Fact]
    public void HeaderLengthAboveTheLimit_IsRejected() =>
        Rejected([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 2, 0, 0xFF, 0xFF, 0xFF, 0x7F], "exceeds");

    [Fact]
    public void TypedAccess_ToTheWrongType_IsAClearError()
    {
        var a = NpyArray.Create<float>([1], [1f]);
        Assert.Contains("float32", Assert.Throws<NpyFormatException>(() => a.AsInt64()).Message);
        Assert.Contains("not int32", Assert.Throws<NpyFormatException>(() => a.AsSpan<int>().Length).Message);
    }

    [Fact]
    public void MissingFile_IsAnEdgeNormException() =>
        Assert.Throws<EdgeNormException>(() => EdgeNorm.Model.Npy.Npy.Read(Path.Combine(Path.GetTempPath(), "no-such-file.npy")));

    private sealed class NonSeekable(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
    }
}
