using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using EdgeNorm.Model.Format;
using EdgeNorm.Model.Ir;

namespace EdgeNorm.Firmware;

/// <summary>What to bundle: the model, the target, the AOT binary for it, where to write, and the versions to record.</summary>
public sealed record BundleRequest(string ModelPath, BundleTarget Target, string BinaryPath, string OutputPath,
    string EdgeNormVersion, string FormatVersion);

/// <summary>
/// Writes a bundle: a .tar.gz with one folder NAME-TARGET/ holding the AOT `edgenorm`, the model, manifest.json,
/// run.sh and a systemd unit. Deterministic (fixed owner and time stamps, fixed order) and written atomically.
/// </summary>
public static class BundleWriter
{
    /// <summary>Time stamp of every entry: fixed, so the same inputs give the same bytes.</summary>
    private static readonly DateTimeOffset EntryTime = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private const UnixFileMode Executable = (UnixFileMode)0b111_101_101; // 0755
    private const UnixFileMode Regular = (UnixFileMode)0b110_100_100;    // 0644

    public static BundleManifest Write(BundleRequest req)
    {
        if (!File.Exists(req.ModelPath)) throw new FirmwareException($"{req.ModelPath}: no such model file");
        if (!File.Exists(req.BinaryPath)) throw new FirmwareException($"--binary {req.BinaryPath}: no such file");
        ushort? machine = ElfHeader.Machine(req.BinaryPath);
        if (machine != req.Target.ElfMachine)
            throw new FirmwareException($"--binary {req.BinaryPath} is {ElfHeader.Describe(machine)}, not one for {req.Target.Name} " +
                                        $"({ElfHeader.Describe(req.Target.ElfMachine)}); publish with -p:PublishProfile={req.Target.Name}");

        string stem = Path.GetFileNameWithoutExtension(req.ModelPath);
        string modelName = Path.GetFileName(req.ModelPath);
        string folder = $"{stem}-{req.Target.Name}";
        (TensorSpec[] inputs, TensorSpec[] outputs, string modelVersion) = Describe(req.ModelPath);

        // name -> (bytes, mode); the binary and the model stream from disk, the texts are generated.
        var texts = new Dictionary<string, byte[]>
        {
            [BundleScripts.RunScript] = Encoding.UTF8.GetBytes(BundleScripts.Run(modelName)),
            [BundleScripts.UnitFileName(stem)] = Encoding.UTF8.GetBytes(BundleScripts.Unit(stem, folder)),
        };
        var files = new List<BundleFile>
        {
            new("edgenorm", new FileInfo(req.BinaryPath).Length, Sha256.HexOfFile(req.BinaryPath)),
            new(modelName, new FileInfo(req.ModelPath).Length, Sha256.HexOfFile(req.ModelPath)),
        };
        foreach (var (name, bytes) in texts) files.Add(new BundleFile(name, bytes.Length, Convert.ToHexStringLower(Sha256.Hash(bytes))));

        var manifest = new BundleManifest
        {
            Name = stem,
            EdgeNormVersion = req.EdgeNormVersion,
            FormatVersion = req.FormatVersion,
            ModelFormatVersion = modelVersion,
            Target = req.Target.Name,
            RuntimeIdentifier = req.Target.RuntimeIdentifier,
            RequiredIsa = req.Target.RequiredIsa,
            MinimumGlibc = BundleTarget.MinimumGlibc,
            Binary = "edgenorm",
            Model = modelName,
            Inputs = inputs,
            Outputs = outputs,
            Files = files,
        };
        byte[] manifestBytes = Encoding.UTF8.GetBytes(manifest.ToJson());

        AtomicFile.Write(req.OutputPath, stream =>
        {
            using var gz = new GZipStream(stream, CompressionLevel.SmallestSize, leaveOpen: true);
            using var tar = new TarWriter(gz, TarEntryFormat.Ustar, leaveOpen: true);
            tar.WriteEntry(Entry(TarEntryType.Directory, folder + "/", Executable, null));
            tar.WriteEntry(Entry(TarEntryType.RegularFile, $"{folder}/{BundleManifest.FileName}", Regular, new MemoryStream(manifestBytes)));
            using (var bin = File.OpenRead(req.BinaryPath))
                tar.WriteEntry(Entry(TarEntryType.RegularFile, $"{folder}/edgenorm", Executable, bin));
            using (var model = File.OpenRead(req.ModelPath))
                tar.WriteEntry(Entry(TarEntryType.RegularFile, $"{folder}/{modelName}", Regular, model));
            foreach (var (name, bytes) in texts)
                tar.WriteEntry(Entry(TarEntryType.RegularFile, $"{folder}/{name}",
                    name == BundleScripts.RunScript ? Executable : Regular, new MemoryStream(bytes)));
        });
        return manifest;
    }

    private static UstarTarEntry Entry(TarEntryType type, string name, UnixFileMode mode, Stream? data)
    {
        var entry = new UstarTarEntry(type, name) { Mode = mode, ModificationTime = EntryTime, Uid = 0, Gid = 0 };
        if (data is not null) entry.DataStream = data;
        return entry;
    }

    /// <summary>The model's interface and version, read (and its checksums checked) before anything is written.</summary>
    private static (TensorSpec[] Inputs, TensorSpec[] Outputs, string Version) Describe(string modelPath)
    {
        using var m = EdgnModel.Open(modelPath);
        var report = m.VerifyChecksums();
        if (!report.IsValid)
            throw new FirmwareException($"{modelPath}: the model's checksums do not match ({report.Mismatches[0].Message}); " +
                                        "it is damaged — run `edgenorm verify` and re-create it before bundling");
        static TensorSpec Spec(EdgnValue v) => new(v.Name, v.ExternalDType.Name(), v.Shape.ToArray());
        return (m.Header.Inputs.Select(Spec).ToArray(), m.Header.Outputs.Select(Spec).ToArray(), m.FormatVersion.ToString());
    }
}
