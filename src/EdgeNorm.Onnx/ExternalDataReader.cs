using System.Globalization;
using EdgeNorm.Onnx.Proto;

namespace EdgeNorm.Onnx;

/// <summary>
/// Reads tensor data that an ONNX model keeps in separate files. Every location must stay inside the model's
/// folder: absolute paths, ".." segments and symbolic links resolving outside are refused, and offset/length
/// are checked against the file's size before anything is read.
/// </summary>
public sealed class ExternalDataReader
{
    private readonly string _baseDir;
    private readonly string _realBase;
    private readonly long _maxTotal;
    private long _total;

    public ExternalDataReader(string modelDirectory, long maxTotalBytes = long.MaxValue)
    {
        _baseDir = Path.GetFullPath(modelDirectory);
        _realBase = RealPath(_baseDir);
        _maxTotal = maxTotalBytes;
    }

    /// <summary>Reads the bytes of <paramref name="p"/>'s external data; <paramref name="expected"/> is the size its shape needs.</summary>
    public byte[] Read(TensorProto p, string what, long expected)
    {
        string? location = null;
        long offset = 0, length = -1;
        foreach (var e in p.ExternalData)
        {
            switch (e.Key)
            {
                case "location": location = e.Value; break;
                case "offset": offset = ParseLong(e.Value, what, "offset"); break;
                case "length": length = ParseLong(e.Value, what, "length"); break;
            }
        }
        if (string.IsNullOrEmpty(location)) throw new OnnxImportException($"{what}: external data has no location");
        string path = Resolve(location, what);
        long size;
        try { size = new FileInfo(path).Length; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OnnxImportException($"{what}: cannot read external data file '{location}': {e.Message}", e);
        }
        if (offset < 0 || offset > size)
            throw new OnnxImportException($"{what}: external data offset {offset} is outside '{location}' ({size} bytes)");
        if (length < 0) length = size - offset;
        if (length > size - offset)
            throw new OnnxImportException($"{what}: external data range {offset}+{length} runs past the end of '{location}' ({size} bytes)");
        if (length != expected)
            throw new OnnxImportException($"{what}: external data has {length} bytes, its shape needs {expected}");
        _total += length;
        if (_total > _maxTotal) throw new OnnxImportException($"{what}: external data exceeds the limit of {_maxTotal} bytes");
        var buf = new byte[length];
        try
        {
            using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            fs.Seek(offset, SeekOrigin.Begin);
            fs.ReadExactly(buf);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new OnnxImportException($"{what}: cannot read external data file '{location}': {e.Message}", e);
        }
        return buf;
    }

    private static long ParseLong(string s, string what, string key) =>
        long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out long v)
            ? v : throw new OnnxImportException($"{what}: external data {key} '{s}' is not a non-negative integer");

    /// <summary>The file a location names, after checking it stays inside the model's folder.</summary>
    public string Resolve(string location, string what)
    {
        if (location.Contains('\0')) throw new OnnxImportException($"{what}: external data location contains a NUL character");
        if (Path.IsPathRooted(location) || location.StartsWith('/') || location.StartsWith('\\') || (location.Length > 1 && location[1] == ':'))
            throw new OnnxImportException($"{what}: external data location '{location}' is an absolute path; it must be relative to the model's folder");
        var segments = location.Split('/', '\\');
        if (segments.Any(s => s == ".."))
            throw new OnnxImportException($"{what}: external data location '{location}' leaves the model's folder ('..')");
        string full = Path.GetFullPath(Path.Combine(_baseDir, location));
        if (!Inside(full, _baseDir))
            throw new OnnxImportException($"{what}: external data location '{location}' leaves the model's folder");
        string real;
        try { real = RealPath(full); }
        catch (IOException e) { throw new OnnxImportException($"{what}: external data location '{location}': {e.Message}", e); }
        if (!Inside(real, _realBase))
            throw new OnnxImportException($"{what}: external data location '{location}' is a link to '{real}', outside the model's folder");
        if (!File.Exists(real))
            throw new OnnxImportException($"{what}: external data file '{location}' does not exist next to the model");
        return real;
    }

    private static bool Inside(string path, string dir)
    {
        var d = dir.EndsWith(Path.DirectorySeparatorChar) ? dir : dir + Path.DirectorySeparatorChar;
        return path.StartsWith(d, StringComparison.Ordinal);
    }

    /// <summary>The path with every symbolic link (in any component) resolved.</summary>
    internal static string RealPath(string fullPath, int depth = 0)
    {
        if (depth > 32) throw new IOException("too many levels of symbolic links");
        string root = Path.GetPathRoot(fullPath) ?? "/";
        var parts = fullPath[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
        string cur = root;
        for (int i = 0; i < parts.Length; i++)
        {
            string next = Path.Combine(cur, parts[i]);
            string? target = null;
            try
            {
                var info = new FileInfo(next);
                if (info.Exists || Directory.Exists(next)) target = info.LinkTarget;
            }
            catch (UnauthorizedAccessException) { }
            if (target is null) { cur = next; continue; }
            string resolved = Path.GetFullPath(Path.IsPathRooted(target) ? target : Path.Combine(cur, target));
            string rest = string.Join(Path.DirectorySeparatorChar, parts[(i + 1)..]);
            return RealPath(rest.Length > 0 ? Path.Combine(resolved, rest) : resolved, depth + 1);
        }
        return cur;
    }
}
