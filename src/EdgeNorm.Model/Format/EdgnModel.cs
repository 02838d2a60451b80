using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using EdgeNorm.Model.Ir;

namespace EdgeNorm.Model.Format;

/// <summary>
/// An opened <c>.edgn</c> model. <see cref="Open"/> memory-maps the file read-only and validates the preamble and
/// the whole header before returning; tensor data is never copied — <see cref="GetTensorData(string)"/> returns a
/// span into the mapping, so memory use is the file's pages the kernels actually touch. Opening does not read
/// the tensor bytes: <see cref="VerifyChecksums"/> does that on demand.
/// <para>
/// An instance is immutable and safe to read from any number of threads. Spans obtained from it must not be
/// used after <see cref="Dispose"/>. (As with any memory map, another process truncating the file while it is
/// mapped makes later reads fault; the CLI and runtime never do that.)
/// </para>
/// </summary>
public sealed unsafe class EdgnModel : IDisposable
{
    private const int VerifyChunk = 1 << 20;

    private readonly MemoryMappedFile? _file;
    private readonly MemoryMappedViewAccessor? _view;
    private byte* _base;
    private readonly ReadOnlyMemory<byte> _memory;
    private int _disposed;

    /// <summary>The version in the file's preamble.</summary>
    public EdgnVersion FormatVersion { get; }

    /// <summary>The validated header: inputs, outputs, graph, tensor table, metadata, golden sets.</summary>
    public EdgnHeader Header { get; }

    /// <summary>The path given to <see cref="Open"/>, or null for <see cref="Load"/>.</summary>
    public string? Path { get; }

    /// <summary>Total size of the image in bytes.</summary>
    public long FileLength { get; }

    /// <summary>Size of the JSON header in bytes (it starts at byte 64).</summary>
    public long HeaderLength { get; }

    /// <summary>Absolute file offset of the data section (a multiple of 64).</summary>
    public long DataOffset { get; }

    /// <summary>Size of the data section in bytes; the image ends with it.</summary>
    public long DataLength { get; }

    /// <summary>The stored CRC-32C of the preamble (bytes 0–59) followed by the JSON header; verified by <see cref="Open"/>.</summary>
    public uint HeaderCrc32C { get; }

    /// <summary>The stored CRC-32C of the data section; checked by <see cref="VerifyChecksums"/>.</summary>
    public uint DataCrc32C { get; }

    /// <summary>Whether the image is a memory-mapped file (rather than memory passed to <see cref="Load"/>).</summary>
    public bool IsMemoryMapped => _file is not null;

    /// <summary>The JSON header text, exactly as stored.</summary>
    public string HeaderJson => Encoding.UTF8.GetString(Bytes(EdgnFormat.PreambleSize, (int)HeaderLength));

    /// <summary>
    /// Memory-maps and validates the model at <paramref name="path"/>. Throws <see cref="ModelFormatException"/>
    /// (message prefixed with the path) when the file is not a usable model, and <see cref="EdgeNormException"/>
    /// when it cannot be opened at all (missing, unreadable).
    /// </summary>
    public static EdgnModel Open(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        FileStream fs;
        try
        {
            fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new EdgeNormException($"cannot open model '{path}': {e.Message}", e);
        }

        MemoryMappedFile? file = null;
        MemoryMappedViewAccessor? view = null;
        byte* ptr = null;
        try
        {
            long length = fs.Length;
            if (length < EdgnFormat.PreambleSize)
                throw new ModelFormatException($"file is {length} bytes; an .edgn file starts with a {EdgnFormat.PreambleSize}-byte preamble");
            file = MemoryMappedFile.CreateFromFile(fs, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            view = file.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref ptr);
            return new EdgnModel(file, view, ptr + view.PointerOffset, length, path);
        }
        catch (Exception e)
        {
            if (ptr != null) view!.SafeMemoryMappedViewHandle.ReleasePointer();
            view?.Dispose();
            file?.Dispose();
            fs.Dispose();
            if (e is ModelFormatException mfe) throw new ModelFormatException($"{path}: {mfe.Message}", mfe);
            if (e is IOException or UnauthorizedAccessException)
                throw new EdgeNormException($"cannot map model '{path}': {e.Message}", e);
            throw;
        }
    }

    /// <summary>
    /// Validates a model image already in memory (e.g. embedded in firmware or read from a flash partition). The
    /// memory is referenced, not copied; tensor addresses are 64-byte aligned when <paramref name="image"/> is.
    /// </summary>
    public static EdgnModel Load(ReadOnlyMemory<byte> image) => new(image);

    private EdgnModel(MemoryMappedFile file, MemoryMappedViewAccessor view, byte* basePtr, long length, string path)
    {
        _file = file;
        _view = view;
        _base = basePtr;
        Path = path;
        FileLength = length;
        try
        {
            (FormatVersion, Header, HeaderLength, DataOffset, DataLength, HeaderCrc32C, DataCrc32C) = Parse();
        }
        catch
        {
            // Open releases the mapping; this half-built instance must not do it again from its finalizer.
            _disposed = 1;
            GC.SuppressFinalize(this);
            throw;
        }
    }

    private EdgnModel(ReadOnlyMemory<byte> image)
    {
        GC.SuppressFinalize(this); // nothing to release
        _memory = image;
        FileLength = image.Length;
        if (FileLength < EdgnFormat.PreambleSize)
            throw new ModelFormatException($"image is {FileLength} bytes; an .edgn file starts with a {EdgnFormat.PreambleSize}-byte preamble");
        (FormatVersion, Header, HeaderLength, DataOffset, DataLength, HeaderCrc32C, DataCrc32C) = Parse();
    }

    /// <summary>Drops the pointer reference on the view so the mapping's own finalizer can unmap it.</summary>
    ~EdgnModel()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0 || _view is null) return;
        try { _view.SafeMemoryMappedViewHandle.ReleasePointer(); }
        catch (ObjectDisposedException) { }
    }

    /// <summary>Unmaps the file. Spans obtained earlier become invalid.</summary>
    public void Dispose()
    {
        Release();
        GC.SuppressFinalize(this);
    }

    private void Release()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        if (_view is not null)
        {
            _base = null;
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
            _file!.Dispose();
        }
    }

    /// <summary>The raw bytes of tensor <paramref name="name"/> (a view into the image, no copy).</summary>
    /// <exception cref="ArgumentException">The model has no such tensor.</exception>
    public ReadOnlySpan<byte> GetTensorData(string name) => Data(Header.GetTensor(name));

    /// <summary>The raw bytes of <paramref name="tensor"/>, looked up by its name in this model's tensor table.</summary>
    public ReadOnlySpan<byte> GetTensorData(EdgnTensor tensor) => GetTensorData(tensor.Name);

    /// <summary>
    /// The elements of tensor <paramref name="name"/> as <typeparamref name="T"/> (a view, no copy);
    /// <typeparamref name="T"/> must have the element size of the tensor's dtype (e.g. <c>sbyte</c> for int8,
    /// <c>int</c> for int32). For a packed weight this is the whole packed image.
    /// </summary>
    public ReadOnlySpan<T> GetTensorData<T>(string name) where T : unmanaged
    {
        var t = Header.GetTensor(name);
        if (sizeof(T) != EdgnDTypes.Size(t.DType))
            throw new ArgumentException($"tensor '{name}' is {t.DType.Name()}; {typeof(T).Name} has a different element size", nameof(T));
        return MemoryMarshal.Cast<byte, T>(Data(t));
    }

    /// <summary>
    /// Reads the whole data section and checks every tensor's CRC-32C, the data section's CRC-32C and the
    /// internal consistency of packed weights (zero padding, column sums). Never throws for corrupt data: the
    /// report names what does not match. (A file whose header is corrupt does not open in the first place.)
    /// </summary>
    public ChecksumReport VerifyChecksums()
    {
        var mismatches = new List<ChecksumMismatch>();
        uint dataCrc = Crc32C.Start;
        long pos = 0;
        // Non-empty tensors do not overlap (validated), so in offset order each starts at or after `pos`.
        // Empty ones may sit anywhere, even inside another tensor: they contribute nothing to the data CRC.
        foreach (var t in Header.Tensors.OrderBy(t => t.Offset).ThenBy(t => t.Length))
        {
            uint crc = Crc32C.Start;
            if (t.Length > 0)
            {
                dataCrc = Feed(dataCrc, pos, t.Offset - pos, ref Unsafe.NullRef<uint>());
                dataCrc = Feed(dataCrc, t.Offset, t.Length, ref crc);
                pos = t.Offset + t.Length;
            }
            crc = Crc32C.Finish(crc);
            if (crc != t.Crc32C)
            {
                mismatches.Add(new(ChecksumScope.Tensor, t.Name,
                    $"tensor '{t.Name}': CRC-32C is 0x{crc:X8}, the header says 0x{t.Crc32C:X8} (data corrupted)"));
            }
            else if (t.IsPacked && PackedWeights.Check(Data(t), (int)t.Shape[0], (int)t.Shape[1]) is string problem)
            {
                mismatches.Add(new(ChecksumScope.PackedWeights, t.Name, $"tensor '{t.Name}': inconsistent packed weights: {problem}"));
            }
        }
        dataCrc = Crc32C.Finish(Feed(dataCrc, pos, DataLength - pos, ref Unsafe.NullRef<uint>()));
        if (dataCrc != DataCrc32C)
        {
            string where = mismatches.Count > 0 ? "" : " (outside every tensor: padding between tensors)";
            mismatches.Add(new(ChecksumScope.DataSection, null,
                $"data section: CRC-32C is 0x{dataCrc:X8}, the preamble says 0x{DataCrc32C:X8}{where}"));
        }
        return new ChecksumReport(mismatches, Header.Tensors.Count, DataLength);
    }

    // Feeds data-section bytes [offset, offset+length) into the data CRC and, when given, a second CRC.
    private uint Feed(uint dataCrc, long offset, long length, ref uint other)
    {
        bool both = !Unsafe.IsNullRef(ref other);
        while (length > 0)
        {
            int n = (int)Math.Min(length, VerifyChunk);
            ReadOnlySpan<byte> chunk = Bytes(DataOffset + offset, n);
            dataCrc = Crc32C.Update(dataCrc, chunk);
            if (both) other = Crc32C.Update(other, chunk);
            offset += n;
            length -= n;
        }
        return dataCrc;
    }

    // Test hooks: where the mapping lives, to prove tensor spans point into it.
    internal nint MappedBase => (nint)_base;

    private ReadOnlySpan<byte> Data(EdgnTensor t) => Bytes(DataOffset + t.Offset, (int)t.Length);

    private ReadOnlySpan<byte> Bytes(long offset, int length)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        return _file is not null
            ? new ReadOnlySpan<byte>(_base + offset, length)
            : _memory.Span.Slice((int)offset, length);
    }

    private (EdgnVersion, EdgnHeader, long, long, long, uint, uint) Parse()
    {
        ReadOnlySpan<byte> pre = Bytes(0, EdgnFormat.PreambleSize);
        if (!pre[..8].SequenceEqual(EdgnFormat.Magic))
            throw Fail($"not an .edgn file: magic is {Hex(pre[..8])}, expected {Hex(EdgnFormat.Magic)}");

        var version = new EdgnVersion(BinaryPrimitives.ReadUInt16LittleEndian(pre[EdgnFormat.OffMajor..]),
            BinaryPrimitives.ReadUInt16LittleEndian(pre[EdgnFormat.OffMinor..]));
        var current = EdgnFormat.CurrentVersion;
        if (version.Major != current.Major || (current.Major == 0 && version.Minor != current.Minor))
        {
            string hint = version.CompareTo(current) > 0 ? "written by a newer EdgeNorm; upgrade the runtime" : "re-export the model with this EdgeNorm";
            throw Fail($"format version {version} is not supported: this reader reads version {current} ({hint})");
        }

        uint flags = BinaryPrimitives.ReadUInt32LittleEndian(pre[EdgnFormat.OffFlags..]);
        if (flags != 0) throw Fail($"preamble flags are 0x{flags:X8}; this reader knows no flags, expected 0");
        for (int i = EdgnFormat.OffReserved; i < EdgnFormat.OffHeaderCrc; i++)
            if (pre[i] != 0) throw Fail($"reserved preamble byte {i} is 0x{pre[i]:X2}, expected 0");

        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(pre[EdgnFormat.OffHeaderLength..]);
        ulong dataOffset = BinaryPrimitives.ReadUInt64LittleEndian(pre[EdgnFormat.OffDataOffset..]);
        ulong dataLength = BinaryPrimitives.ReadUInt64LittleEndian(pre[EdgnFormat.OffDataLength..]);
        uint dataCrc = BinaryPrimitives.ReadUInt32LittleEndian(pre[EdgnFormat.OffDataCrc..]);
        uint headerCrc = BinaryPrimitives.ReadUInt32LittleEndian(pre[EdgnFormat.OffHeaderCrc..]);
        ulong fileLength = (ulong)FileLength;

        if (headerLength == 0) throw Fail("header length is 0; the JSON header cannot be empty");
        if (headerLength > EdgnFormat.MaxHeaderLength)
            throw Fail($"header length {headerLength} exceeds the limit of {EdgnFormat.MaxHeaderLength} bytes");
        if (EdgnFormat.PreambleSize + headerLength > fileLength)
            throw Fail($"header length {headerLength} runs past the end of the {fileLength}-byte file (truncated?)");
        ulong expectedDataOffset = (ulong)EdgnFormat.AlignUp(EdgnFormat.PreambleSize + (long)headerLength);
        if (dataOffset != expectedDataOffset)
            throw Fail($"data offset is {dataOffset}, expected {expectedDataOffset} (end of header rounded up to {EdgnFormat.Alignment})");
        if (dataOffset > fileLength)
            throw Fail($"file is truncated: the data section starts at {dataOffset} but the file has {fileLength} bytes");
        if (dataLength != fileLength - dataOffset)
        {
            throw Fail(dataLength > fileLength - dataOffset
                ? $"file is truncated: data offset {dataOffset} + data length {dataLength} = {dataOffset + dataLength} bytes, the file has {fileLength}"
                : $"file has {fileLength - dataOffset - dataLength} unexpected bytes after the {dataLength}-byte data section");
        }

        ReadOnlySpan<byte> json = Bytes(EdgnFormat.PreambleSize, (int)headerLength);
        uint computed = Crc32C.Finish(Crc32C.Update(Crc32C.Update(Crc32C.Start, pre[..EdgnFormat.OffHeaderCrc]), json));
        if (computed != headerCrc)
            throw Fail($"header checksum mismatch: stored 0x{headerCrc:X8}, computed 0x{computed:X8} (preamble or JSON header corrupted)");

        long padStart = EdgnFormat.PreambleSize + (long)headerLength;
        ReadOnlySpan<byte> pad = Bytes(padStart, (int)((long)dataOffset - padStart));
        int nz = pad.IndexOfAnyExcept((byte)0);
        if (nz >= 0) throw Fail($"padding byte at offset {padStart + nz} before the data section is 0x{pad[nz]:X2}, expected 0");

        if (!System.Text.Unicode.Utf8.IsValid(json))
            throw Fail("header JSON is not valid UTF-8");
        HeaderDto? dto;
        try
        {
            dto = JsonSerializer.Deserialize(json, HeaderJsonContext.Default.HeaderDto);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new ModelFormatException($"header JSON is invalid: {OneLine(e.Message)}", e);
        }
        var header = HeaderValidator.Validate(dto, (long)dataLength);
        return (version, header, (long)headerLength, (long)dataOffset, (long)dataLength, headerCrc, dataCrc);
    }

    private static string Hex(ReadOnlySpan<byte> b) => Convert.ToHexString(b);

    // System.Text.Json's messages, minus the .NET type names that mean nothing to the reader of a model file.
    // (Plain replacements: Regex would add a megabyte to the NativeAOT binary.)
    private static string OneLine(string s)
    {
        s = s.ReplaceLineEndings(" ").Replace(" could not be mapped to any .NET member contained in type ", " is not a field of ", StringComparison.Ordinal);
        foreach (string t in (string[])["Int64", "Int32", "UInt32", "Single"])
            s = s.Replace($"System.Nullable`1[System.{t}]", t, StringComparison.Ordinal);
        foreach (string t in (string[])["Header", "Value", "Quant", "Node", "Attr", "Tensor", "Golden"])
            s = s.Replace($"EdgeNorm.Model.Format.{t}Dto", $"{t.ToLowerInvariant()} object", StringComparison.Ordinal);
        return s.Replace("System.String", "string", StringComparison.Ordinal);
    }

    private static ModelFormatException Fail(string message) => new(message);
}
