using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using EdgeNorm.Model.Ir;

namespace EdgeNorm.Model.Npy;

/// <summary>
/// Reads and writes NumPy <c>.npy</c> files (format versions 1.0, 2.0 and 3.0; little-endian, C order). Writing
/// produces the same bytes as <c>numpy.save</c> (NumPy 1.24) for the supported dtypes.
/// </summary>
public static class Npy
{
    /// <summary>Largest header this reader accepts (NumPy's own default limit is 10 000 characters).</summary>
    public const int MaxHeaderLength = 1 << 20;

    /// <summary>Largest rank this reader accepts.</summary>
    public const int MaxRank = 32;

    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Reads the single array in the file at <paramref name="path"/>. Errors are <see cref="NpyFormatException"/>s whose message starts with the path.</summary>
    public static NpyArray Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        FileStream fs;
        try { fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new EdgeNormException($"cannot open '{path}': {e.Message}", e);
        }
        using (fs)
        {
            try
            {
                var a = Read(fs);
                long extra = fs.Length - fs.Position;
                if (extra > 0) throw new NpyFormatException($"{extra} unexpected bytes after the array data (one array per file)");
                return a;
            }
            catch (NpyFormatException e) { throw new NpyFormatException($"{path}: {e.Message}", e); }
            catch (IOException e) { throw new EdgeNormException($"cannot read '{path}': {e.Message}", e); }
        }
    }

    /// <summary>Reads one array from <paramref name="stream"/>, leaving it positioned just after the array's data.</summary>
    public static NpyArray Read(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Span<byte> pre = stackalloc byte[12];
        ReadExactly(stream, pre[..8], "the 8-byte magic and version");
        if (!pre[..6].SequenceEqual(Magic))
            throw new NpyFormatException($"not a .npy file: it starts with {Convert.ToHexString(pre[..6])}, expected 934E554D5059 (\\x93NUMPY)");
        byte major = pre[6], minor = pre[7];
        int lenSize = (major, minor) switch
        {
            (1, 0) => 2,
            (2, 0) or (3, 0) => 4,
            _ => throw new NpyFormatException($"unsupported .npy format version {major}.{minor} (supported: 1.0, 2.0, 3.0)"),
        };
        ReadExactly(stream, pre.Slice(8, lenSize), "the header length");
        uint headerLength = lenSize == 2 ? BinaryPrimitives.ReadUInt16LittleEndian(pre[8..]) : BinaryPrimitives.ReadUInt32LittleEndian(pre[8..]);
        if (headerLength > MaxHeaderLength)
            throw new NpyFormatException($"header length {headerLength} exceeds the {MaxHeaderLength}-byte limit");
        if (stream.CanSeek && headerLength > stream.Length - stream.Position)
            throw new NpyFormatException($"truncated: header length {headerLength} runs past the end of the file");
        var headerBytes = new byte[headerLength];
        ReadExactly(stream, headerBytes, "the header");
        string headerText;
        try
        {
            headerText = major == 3
                ? new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(headerBytes)
                : Encoding.Latin1.GetString(headerBytes);
        }
        catch (DecoderFallbackException e) { throw new NpyFormatException("malformed header: not valid UTF-8", e); }

        var (dtype, fortran, shape) = ParseHeader(headerText);
        if (fortran)
            throw new NpyFormatException($"Fortran-order (column-major) arrays are not supported; save np.ascontiguousarray(a) instead");
        int size = NpyArray.ElementSize(dtype);
        long count = 1;
        foreach (long d in shape)
        {
            if (d != 0 && count > Array.MaxLength / d) { count = long.MaxValue; break; }
            count *= d;
        }
        if (count == long.MaxValue || count > Array.MaxLength / size)
            throw new NpyFormatException($"shape ({string.Join(", ", shape)}) of {dtype.Name()} is too large (arrays are limited to {Array.MaxLength} bytes)");
        long nbytes = count * size;
        if (stream.CanSeek && nbytes > stream.Length - stream.Position)
            throw new NpyFormatException($"truncated: {dtype.Name()}[{string.Join(",", shape)}] needs {nbytes} data bytes, the file has {stream.Length - stream.Position}");

        byte[] data = ReadData(stream, nbytes, dtype, shape);
        if (dtype == DataType.Bool)
            for (int i = 0; i < data.Length; i++) data[i] = data[i] != 0 ? (byte)1 : (byte)0;
        return new NpyArray(dtype, shape.Select(d => (int)d).ToArray(), data);
    }

    /// <summary>Reads the single array held in <paramref name="bytes"/> (trailing bytes are an error).</summary>
    public static NpyArray Read(ReadOnlySpan<byte> bytes)
    {
        using var ms = new MemoryStream(bytes.ToArray(), writable: false);
        var a = Read(ms);
        if (ms.Position != ms.Length) throw new NpyFormatException($"{ms.Length - ms.Position} unexpected bytes after the array data");
        return a;
    }

    /// <summary>Reads the array at <paramref name="path"/> as a float IR tensor (see <see cref="NpyArray.ToTensor"/>).</summary>
    public static Tensor ReadTensor(string path) => Read(path).ToTensor();

    /// <summary>Writes <paramref name="array"/> to <paramref name="path"/> (created or overwritten).</summary>
    public static void Write(string path, NpyArray array)
    {
        using var fs = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        Write(fs, array);
    }

    /// <summary>Writes a float IR tensor to <paramref name="path"/> (see <see cref="NpyArray.FromTensor"/>).</summary>
    public static void Write(string path, Tensor tensor) => Write(path, NpyArray.FromTensor(tensor));

    /// <summary>Writes <paramref name="array"/> to <paramref name="stream"/> exactly as <c>numpy.save</c> would.</summary>
    public static void Write(Stream stream, NpyArray array)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(array);
        stream.Write(HeaderBytes(array));
        stream.Write(array.Data);
    }

    /// <summary>The complete .npy image of <paramref name="array"/>.</summary>
    public static byte[] ToBytes(NpyArray array)
    {
        using var ms = new MemoryStream();
        Write(ms, array);
        return ms.ToArray();
    }

    // numpy.lib.format._write_array_header / _wrap_header (NumPy 1.24): sorted keys, repr values, room for the
    // first axis to grow to 21 digits, then spaces and '\n' so that the data starts at a multiple of 64.
    private static byte[] HeaderBytes(NpyArray a)
    {
        var shape = a.Shape;
        string shapeRepr = shape.Count switch
        {
            0 => "()",
            1 => $"({shape[0]},)",
            _ => $"({string.Join(", ", shape)})",
        };
        var sb = new StringBuilder();
        sb.Append("{'descr': '").Append(Descr(a.DType)).Append("', 'fortran_order': False, 'shape': ").Append(shapeRepr).Append(", }");
        if (shape.Count > 0) sb.Append(' ', Math.Max(0, 21 - shape[0].ToString(CultureInfo.InvariantCulture).Length));
        byte[] text = Encoding.ASCII.GetBytes(sb.ToString());
        int hlen = text.Length + 1;
        bool v1 = true;
        int padlen = 64 - ((6 + 2 + 2 + hlen) % 64);
        if (hlen + padlen > ushort.MaxValue)
        {
            v1 = false;
            padlen = 64 - ((6 + 2 + 4 + hlen) % 64);
        }
        int prefix = v1 ? 10 : 12;
        var result = new byte[prefix + hlen + padlen];
        Magic.CopyTo(result);
        result[6] = v1 ? (byte)1 : (byte)2;
        result[7] = 0;
        if (v1) BinaryPrimitives.WriteUInt16LittleEndian(result.AsSpan(8), (ushort)(hlen + padlen));
        else BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(8), (uint)(hlen + padlen));
        text.CopyTo(result, prefix);
        result.AsSpan(prefix + text.Length, padlen).Fill((byte)' ');
        result[^1] = (byte)'\n';
        return result;
    }

    private static string Descr(DataType t) => t switch
    {
        DataType.Bool => "|b1",
        DataType.Int8 => "|i1",
        DataType.UInt8 => "|u1",
        DataType.Int16 => "<i2",
        DataType.UInt16 => "<u2",
        DataType.Int32 => "<i4",
        DataType.Int64 => "<i8",
        DataType.Float32 => "<f4",
        DataType.Float64 => "<f8",
        _ => throw new ArgumentException($"dtype {t.Name()} has no .npy form here"),
    };

    private static byte[] ReadData(Stream stream, long nbytes, DataType dtype, long[] shape)
    {
        if (stream.CanSeek)
        {
            var data = new byte[nbytes];
            ReadExactly(stream, data, "the array data");
            return data;
        }
        // Unknown length: grow with what actually arrives, so a lying header cannot force a huge allocation.
        using var ms = new MemoryStream();
        var buf = new byte[1 << 16];
        long left = nbytes;
        while (left > 0)
        {
            int n = stream.Read(buf, 0, (int)Math.Min(buf.Length, left));
            if (n == 0)
                throw new NpyFormatException($"truncated: {dtype.Name()}[{string.Join(",", shape)}] needs {nbytes} data bytes, got {nbytes - left}");
            ms.Write(buf, 0, n);
            left -= n;
        }
        return ms.ToArray();
    }

    private static void ReadExactly(Stream stream, Span<byte> buffer, string what)
    {
        int done = 0;
        while (done < buffer.Length)
        {
            int n = stream.Read(buffer[done..]);
            if (n == 0) throw new NpyFormatException($"truncated: the file ends inside {what}");
            done += n;
        }
    }

    // ---- header: a Python dict literal ------------------------------------------------------------------

    private static (DataType DType, bool Fortran, long[] Shape) ParseHeader(string text)
    {
        object? parsed;
        try
        {
            var p = new LiteralParser(text);
            parsed = p.ParseValue(0);
            p.SkipWhitespace();
            if (!p.AtEnd) throw new FormatException($"unexpected '{p.Current}' after the dictionary");
        }
        catch (FormatException e) { throw new NpyFormatException($"malformed header: {e.Message}", e); }

        if (parsed is not Dictionary<string, object?> dict) throw new NpyFormatException("malformed header: not a dictionary");
        if (dict.Count != 3 || !dict.ContainsKey("descr") || !dict.ContainsKey("fortran_order") || !dict.ContainsKey("shape"))
            throw new NpyFormatException($"malformed header: keys are {{{string.Join(", ", dict.Keys.Order(StringComparer.Ordinal))}}}, expected descr, fortran_order, shape");
        if (dict["fortran_order"] is not bool fortran) throw new NpyFormatException("malformed header: fortran_order is not True or False");
        if (dict["shape"] is not TupleMarker tuple) throw new NpyFormatException("malformed header: shape is not a tuple");
        if (tuple.Items.Count > MaxRank) throw new NpyFormatException($"shape has rank {tuple.Items.Count}, more than {MaxRank}");
        var shape = new long[tuple.Items.Count];
        for (int i = 0; i < shape.Length; i++)
        {
            if (tuple.Items[i] is not long d) throw new NpyFormatException("malformed header: shape has a non-integer entry");
            if (d < 0) throw new NpyFormatException($"shape has a negative dimension {d}");
            if (d > int.MaxValue) throw new NpyFormatException($"shape dimension {d} is too large");
            shape[i] = d;
        }
        return (ParseDescr(dict["descr"]), fortran, shape);
    }

    private static DataType ParseDescr(object? descr)
    {
        if (descr is not string s)
            throw new NpyFormatException("unsupported dtype: structured or record arrays are not supported (descr is not a string)");
        if (s.Length < 2) throw new NpyFormatException($"unsupported dtype '{s}'");
        char order = s[0];
        string code = s;
        if (order is '<' or '>' or '|' or '=') code = s[1..];
        else order = '=';
        DataType t = code switch
        {
            "b1" or "?" => DataType.Bool,
            "i1" => DataType.Int8,
            "u1" => DataType.UInt8,
            "i2" => DataType.Int16,
            "u2" => DataType.UInt16,
            "i4" => DataType.Int32,
            "i8" => DataType.Int64,
            "f4" => DataType.Float32,
            "f8" => DataType.Float64,
            _ => throw new NpyFormatException(
                $"unsupported dtype '{s}' (supported: bool, int8, uint8, int16, uint16, int32, int64, float32, float64)"),
        };
        if (order == '>' && NpyArray.ElementSize(t) > 1)
            throw new NpyFormatException($"big-endian dtype '{s}' is not supported; save a.astype('<{code}') instead");
        return t;
    }

    private sealed class TupleMarker(List<object?> items)
    {
        public List<object?> Items { get; } = items;
    }

    /// <summary>A tiny reader of the Python literals NumPy headers use: dicts, tuples, lists, strings, ints, True/False/None.</summary>
    private sealed class LiteralParser(string s)
    {
        private const int MaxDepth = 8;
        private int _pos;

        public bool AtEnd => _pos >= s.Length;
        public char Current => s[_pos];

        public void SkipWhitespace()
        {
            while (_pos < s.Length && char.IsWhiteSpace(s[_pos])) _pos++;
        }

        public object? ParseValue(int depth)
        {
            if (depth > MaxDepth) throw new FormatException("nested too deeply");
            SkipWhitespace();
            if (AtEnd) throw new FormatException("unexpected end of header");
            char c = s[_pos];
            switch (c)
            {
                case '{':
                {
                    _pos++;
                    var d = new Dictionary<string, object?>(StringComparer.Ordinal);
                    foreach (var item in Items('}', depth, dict: true)) { var (k, v) = ((string, object?))item!; if (!d.TryAdd(k, v)) throw new FormatException($"key '{k}' appears twice"); }
                    return d;
                }
                case '(':
                {
                    _pos++;
                    var items = Items(')', depth, dict: false);
                    return new TupleMarker(items);
                }
                case '[':
                {
                    _pos++;
                    return Items(']', depth, dict: false);
                }
                case '\'' or '"':
                    return ParseString();
                default:
                    if (c == '-' || c == '+' || char.IsAsciiDigit(c)) return ParseInt();
                    if (char.IsAsciiLetter(c)) return ParseName();
                    throw new FormatException($"unexpected '{c}' at position {_pos}");
            }
        }

        private List<object?> Items(char close, int depth, bool dict)
        {
            var list = new List<object?>();
            while (true)
            {
                SkipWhitespace();
                if (AtEnd) throw new FormatException($"missing '{close}'");
                if (s[_pos] == close) { _pos++; return list; }
                object? value;
                if (dict)
                {
                    if (ParseValue(depth + 1) is not string key) throw new FormatException("dictionary key is not a string");
                    SkipWhitespace();
                    if (AtEnd || s[_pos] != ':') throw new FormatException($"missing ':' after key '{key}'");
                    _pos++;
                    value = (key, ParseValue(depth + 1));
                }
                else value = ParseValue(depth + 1);
                list.Add(value);
                SkipWhitespace();
                if (AtEnd) throw new FormatException($"missing '{close}'");
                if (s[_pos] == ',') { _pos++; continue; }
                if (s[_pos] != close) throw new FormatException($"expected ',' or '{close}' at position {_pos}, found '{s[_pos]}'");
            }
        }

        private string ParseString()
        {
            char quote = s[_pos++];
            var sb = new StringBuilder();
            while (true)
            {
                if (AtEnd) throw new FormatException("unterminated string");
                char c = s[_pos++];
                if (c == quote) return sb.ToString();
                if (c == '\\')
                {
                    if (AtEnd) throw new FormatException("unterminated string");
                    c = s[_pos++];
                }
                sb.Append(c);
            }
        }

        private long ParseInt()
        {
            int start = _pos;
            if (s[_pos] is '-' or '+') _pos++;
            while (_pos < s.Length && char.IsAsciiDigit(s[_pos])) _pos++;
            if (!long.TryParse(s.AsSpan(start, _pos - start), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v))
                throw new FormatException($"bad or out-of-range integer '{s[start.._pos]}'");
            if (_pos < s.Length && s[_pos] is 'L' or 'l') _pos++; // Python 2 long suffix
            return v;
        }

        private object? ParseName()
        {
            int start = _pos;
            while (_pos < s.Length && char.IsAsciiLetterOrDigit(s[_pos])) _pos++;
            return s[start.._pos] switch
            {
                "True" => true,
                "False" => false,
                "None" => null,
                var name => throw new FormatException($"unexpected name '{name}'"),
            };
        }
    }
}
