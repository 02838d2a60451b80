using System.Formats.Tar;
using System.IO.Compression;

namespace EdgeNorm.Firmware;

/// <summary>
/// A bundle opened for checking: an unpacked folder as it is, or a .tar.gz unpacked into a private temporary folder
/// (deleted on dispose). Unpacking accepts only folders and regular files with relative paths inside the bundle —
/// no links, devices or "..": a bundle is input from outside and must not write anywhere else.
/// </summary>
public sealed class BundleFolder : IDisposable
{
    /// <summary>Most bytes a bundle may unpack to (a guard against decompression bombs).</summary>
    public const long MaxUnpackedBytes = 4L << 30;

    private readonly string? _temp;

    /// <summary>The folder that holds manifest.json.</summary>
    public string Root { get; }

    /// <summary>How paths in messages start: the bundle argument as the user gave it, plus the bundle's own folder.</summary>
    public string Display { get; }

    public BundleManifest Manifest { get; }

    private BundleFolder(string root, string display, string? temp)
    {
        Root = root;
        Display = display;
        _temp = temp;
        string manifestPath = Path.Combine(root, BundleManifest.FileName);
        Manifest = BundleManifest.Parse(File.ReadAllText(manifestPath), $"{display}/{BundleManifest.FileName}");
    }

    /// <summary>Whether <paramref name="path"/> names a bundle (a .tar.gz / .tgz, or a folder) rather than a model file.</summary>
    public static bool IsBundlePath(string path) =>
        Directory.Exists(path) || path.EndsWith(".tar.gz", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".tgz", StringComparison.OrdinalIgnoreCase);

    public static BundleFolder Open(string path)
    {
        if (Directory.Exists(path))
        {
            string root = FindManifestFolder(path) ?? throw new FirmwareException(
                $"{path}: no {BundleManifest.FileName} in this folder or its one subfolder; is it an unpacked bundle (edgenorm bundle)?");
            string sub = Path.GetRelativePath(path, root);
            return new BundleFolder(root, sub == "." ? path : Path.Combine(path, sub), null);
        }
        if (!File.Exists(path)) throw new FirmwareException($"{path}: no such bundle");
        string temp = Directory.CreateTempSubdirectory("edgenorm-bundle-").FullName;
        try
        {
            Unpack(path, temp);
            string root = FindManifestFolder(temp) ?? throw new FirmwareException($"{path}: the archive has no {BundleManifest.FileName}; not a bundle");
            string inner = Path.GetRelativePath(temp, root);
            return new BundleFolder(root, inner == "." ? path : $"{path}:{inner}", temp);
        }
        catch
        {
            Directory.Delete(temp, recursive: true);
            throw;
        }
    }

    public string FullPath(string relative) => Path.Combine(Root, relative);

    public string DisplayPath(string relative) => $"{Display}/{relative}";

    public void Dispose()
    {
        if (_temp is null) return;
        try { Directory.Delete(_temp, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    private static string? FindManifestFolder(string dir)
    {
        if (File.Exists(Path.Combine(dir, BundleManifest.FileName))) return dir;
        var subs = Directory.GetDirectories(dir);
        return subs.Length == 1 && File.Exists(Path.Combine(subs[0], BundleManifest.FileName)) ? subs[0] : null;
    }

    private static void Unpack(string archive, string into)
    {
        string rootFull = Path.GetFullPath(into) + Path.DirectorySeparatorChar;
        long total = 0;
        try
        {
            using var fs = File.OpenRead(archive);
            using var gz = new GZipStream(fs, CompressionMode.Decompress);
            using var tar = new TarReader(gz);
            while (tar.GetNextEntry() is { } entry)
            {
                string name = entry.Name.TrimEnd('/');
                if (name.Length == 0 || name == ".") continue;
                string dest = Path.GetFullPath(Path.Combine(into, name));
                if (Path.IsPathRooted(name) || name.Split('/').Contains("..") || !dest.StartsWith(rootFull, StringComparison.Ordinal))
                    throw new FirmwareException($"{archive}: entry '{entry.Name}' points outside the bundle; refusing to unpack it");
                switch (entry.EntryType)
                {
                    case TarEntryType.Directory:
                        Directory.CreateDirectory(dest);
                        break;
                    case TarEntryType.RegularFile or TarEntryType.V7RegularFile:
                        total += entry.Length;
                        if (total > MaxUnpackedBytes)
                            throw new FirmwareException($"{archive}: unpacks to more than {MaxUnpackedBytes >> 30} GiB; not a bundle");
                        Directory.CreateDirectory(Path.GetDirectoryName(dest)!);
                        entry.ExtractToFile(dest, overwrite: false);
                        break;
                    default:
                        throw new FirmwareException($"{archive}: entry '{entry.Name}' is a {entry.EntryType}; a bundle holds only folders and regular files");
                }
            }
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException)
        {
            throw new FirmwareException($"{archive}: not a readable .tar.gz ({e.Message})", e);
        }
    }
}
