using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json;
using EdgeNorm.Firmware;
using Xunit;

namespace EdgeNorm.Cli.Tests;

/// <summary>`edgenorm bundle` and `edgenorm verify` on bundles: contents, manifest hashes, run.sh, tamper detection, errors.</summary>
public sealed class BundleTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgenorm-bundle-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Bundle(string target = "linux-arm64", string? binary = null)
    {
        binary ??= BundleTestModels.FakeElf(_dir, BundleTarget.Parse(target).ElfMachine);
        string output = Path.Combine(_dir, $"b-{target}.tar.gz");
        var r = CliRunner.Run("bundle", BundleTestModels.Calibrated, "--rid", target, "--binary", binary, "-o", output);
        Assert.True(r.ExitCode == 0, r.ToString());
        return output;
    }

    private string Unpack(string archive)
    {
        string into = Path.Combine(_dir, "unpacked-" + Path.GetFileNameWithoutExtension(archive));
        Directory.CreateDirectory(into);
        using var gz = new GZipStream(File.OpenRead(archive), CompressionMode.Decompress);
        TarFile.ExtractToDirectory(gz, into, overwriteFiles: false);
        return Path.Combine(into, "vit_prepbn-linux-arm64");
    }

    [Fact]
    public void Bundle_HoldsBinaryModelManifestRunScriptAndUnit_WithMatchingHashes()
    {
        string archive = Bundle();
        var names = new List<(string Name, UnixFileMode Mode)>();
        using (var gz = new GZipStream(File.OpenRead(archive), CompressionMode.Decompress))
        using (var tar = new TarReader(gz))
            while (tar.GetNextEntry() is { } e) names.Add((e.Name, e.Mode));
        Assert.Equal(["vit_prepbn-linux-arm64/", "vit_prepbn-linux-arm64/manifest.json", "vit_prepbn-linux-arm64/edgenorm",
                      "vit_prepbn-linux-arm64/vit_prepbn.edgn", "vit_prepbn-linux-arm64/run.sh", "vit_prepbn-linux-arm64/edgenorm-vit_prepbn.service"],
            names.Select(n => n.Name));
        Assert.True(names.Single(n => n.Name.EndsWith("/edgenorm")).Mode.HasFlag(UnixFileMode.UserExecute));
        Assert.True(names.Single(n => n.Name.EndsWith("/run.sh")).Mode.HasFlag(UnixFileMode.OtherExecute));

        string dir = Unpack(archive);
        Assert.Equal(File.ReadAllBytes(BundleTestModels.Calibrated), File.ReadAllBytes(Path.Combine(dir, "vit_prepbn.edgn")));
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "manifest.json")));
        var m = doc.RootElement;
        Assert.Equal("linux-arm64", m.GetProperty("target").GetString());
        Assert.Equal("linux-arm64", m.GetProperty("rid").GetString());
        Assert.Contains("NEON", m.GetProperty("required_isa").GetString());
        using (var info = JsonDocument.Parse(CliRunner.Run("info", "--json").Out))
        {
            Assert.Equal(info.RootElement.GetProperty("edgenorm_version").GetString(), m.GetProperty("edgenorm_version").GetString());
            Assert.Equal(info.RootElement.GetProperty("format_version").GetString(), m.GetProperty("format_version").GetString());
        }
        var input = m.GetProperty("inputs")[0];
        Assert.Equal("float32", input.GetProperty("dtype").GetString());
        Assert.Equal(-1, input.GetProperty("shape")[0].GetInt64());
        var outShape = m.GetProperty("outputs")[0].GetProperty("shape");
        Assert.Equal(10, outShape[outShape.GetArrayLength() - 1].GetInt64());
        var files = m.GetProperty("files").EnumerateArray().ToList();
        Assert.Equal(["edgenorm", "vit_prepbn.edgn", "run.sh", "edgenorm-vit_prepbn.service"], files.Select(f => f.GetProperty("path").GetString()));
        foreach (var f in files)
        {
            string path = Path.Combine(dir, f.GetProperty("path").GetString()!);
            Assert.Equal(new FileInfo(path).Length, f.GetProperty("bytes").GetInt64());
            Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path))), f.GetProperty("sha256").GetString());
        }
        string unit = File.ReadAllText(Path.Combine(dir, "edgenorm-vit_prepbn.service"));
        Assert.Contains("ExecStart=/opt/edgenorm/vit_prepbn-linux-arm64/run.sh verify", unit);
        Assert.Contains("[Install]", unit);
    }

    [Fact]
    public void Bundle_IsDeterministic()
    {
        string bin = BundleTestModels.FakeElf(_dir, BundleTarget.ElfAarch64);
        string a = Bundle(binary: bin);
        byte[] first = File.ReadAllBytes(a);
        Assert.Equal(first, File.ReadAllBytes(Bundle(binary: bin)));
    }

    [Fact]
    public void RunScript_PassesTheModelAndArguments_ThroughTheExecPrefix()
    {
        string dir = Unpack(Bundle());
        string Run(params string[] args)
        {
            var psi = new ProcessStartInfo("sh") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _dir };
            psi.ArgumentList.Add(Path.Combine(dir, "run.sh"));
            foreach (var a in args) psi.ArgumentList.Add(a);
            psi.Environment["EDGENORM_EXEC"] = "echo";
            using var p = Process.Start(psi)!;
            string o = p.StandardOutput.ReadToEnd();
            Assert.True(p.WaitForExit(30_000));
            Assert.True(p.ExitCode == 0, p.StandardError.ReadToEnd());
            return o.Trim();
        }
        string bin = Path.Combine(dir, "edgenorm"), model = Path.Combine(dir, "vit_prepbn.edgn");
        Assert.Equal($"{bin} verify {model}", Run());
        Assert.Equal($"{bin} run {model} --input x.npy --output y.npy", Run("run", "--input", "x.npy", "--output", "y.npy"));
        Assert.Equal($"{bin} info --json", Run("info", "--json"));
    }

    [Fact]
    public void Verify_BundleArchiveAndUnpackedFolder_ChecksFilesAndGoldenVectors()
    {
        string archive = Bundle();
        var r = CliRunner.Run("verify", archive);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("4 files match the manifest", r.Out);
        Assert.Contains("golden set(s) reproduced bit-exactly", r.Out);
        Assert.Contains($"{archive}:vit_prepbn-linux-arm64/vit_prepbn.edgn", r.Out); // names the file inside, not a temp path

        var d = CliRunner.Run("verify", Unpack(archive));
        Assert.True(d.ExitCode == 0, d.ToString());
        Assert.Contains("reproduced bit-exactly", d.Out);
    }

    [Theory]
    [InlineData("vit_prepbn.edgn")]
    [InlineData("edgenorm")]
    [InlineData("run.sh")]
    public void Verify_OneFlippedByte_ExitsOne_NamingTheFile(string file)
    {
        string dir = Unpack(Bundle());
        string path = Path.Combine(dir, file);
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 2] ^= 0x01;
        File.WriteAllBytes(path, bytes);

        var r = CliRunner.Run("verify", dir);
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains($"{file}: sha256 mismatch", r.Err);

        // The same damage inside a re-packed archive.
        string repacked = Path.Combine(_dir, "tampered.tar.gz");
        using (var fs = File.Create(repacked))
        using (var gz = new GZipStream(fs, CompressionLevel.Fastest))
            TarFile.CreateFromDirectory(dir, gz, includeBaseDirectory: true);
        var t = CliRunner.Run("verify", repacked);
        Assert.True(t.ExitCode == 1, t.ToString());
        Assert.Contains($"vit_prepbn-linux-arm64/{file}: sha256 mismatch", t.Err);
    }

    [Fact]
    public void Verify_MissingFile_ExitsOne()
    {
        string dir = Unpack(Bundle());
        File.Delete(Path.Combine(dir, "edgenorm"));
        var r = CliRunner.Run("verify", dir);
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains("edgenorm: missing", r.Err);
    }

    [Fact]
    public void Verify_ArchiveEscapingTheBundle_IsRefused()
    {
        string evil = Path.Combine(_dir, "evil.tar.gz");
        using (var fs = File.Create(evil))
        using (var gz = new GZipStream(fs, CompressionLevel.Fastest))
        using (var tar = new TarWriter(gz, TarEntryFormat.Ustar))
        {
            tar.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, "b/manifest.json") { DataStream = new MemoryStream("{}"u8.ToArray()) });
            tar.WriteEntry(new UstarTarEntry(TarEntryType.RegularFile, "b/../../escaped") { DataStream = new MemoryStream([1]) });
        }
        var r = CliRunner.Run("verify", evil);
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains("outside the bundle", r.Err);

        string link = Path.Combine(_dir, "link.tar.gz");
        using (var fs = File.Create(link))
        using (var gz = new GZipStream(fs, CompressionLevel.Fastest))
        using (var tar = new TarWriter(gz, TarEntryFormat.Ustar))
            tar.WriteEntry(new UstarTarEntry(TarEntryType.SymbolicLink, "b/manifest.json") { LinkName = "/etc/passwd" });
        var l = CliRunner.Run("verify", link);
        Assert.True(l.ExitCode == 2, l.ToString());
        Assert.Contains("only folders and regular files", l.Err);
    }

    [Fact]
    public void Errors_ExitTwo_WithOneLine()
    {
        string arm = BundleTestModels.FakeElf(_dir, BundleTarget.ElfAarch64);
        string output = Path.Combine(_dir, "x.tar.gz");
        void Fails(string expect, params string[] args)
        {
            var r = CliRunner.Run(args);
            Assert.True(r.ExitCode == 2, r.ToString());
            Assert.Single(r.Err.TrimEnd().Split('\n'));
            Assert.Contains(expect, r.Err);
            Assert.False(File.Exists(output));
        }
        Fails("no such model file", "bundle", Path.Combine(_dir, "none.edgn"), "--rid", "linux-arm64", "--binary", arm, "-o", output);
        Fails("valid: linux-x64, linux-x64-v4, linux-arm64, linux-arm64-dotprod",
            "bundle", BundleTestModels.Calibrated, "--rid", "linux-riscv64", "--binary", arm, "-o", output);
        Fails("an AArch64 ELF executable, not one for linux-x64", "bundle", BundleTestModels.Calibrated, "--rid", "linux-x64", "--binary", arm, "-o", output);
        Fails("no such file", "bundle", BundleTestModels.Calibrated, "--rid", "linux-arm64", "--binary", Path.Combine(_dir, "nope"), "-o", output);
        Fails("--rid", "bundle", BundleTestModels.Calibrated, "--binary", arm, "-o", output);
        string junk = Path.Combine(_dir, "junk.tar.gz");
        File.WriteAllText(junk, "not gzip");
        Fails("not a readable .tar.gz", "verify", junk);
        Fails("no manifest.json", "verify", _dir);
    }

    [Fact]
    public void NoBinary_OutsideASourceCheckout_ExitsTwo_SayingWhatToPass()
    {
        // The real executable, started in a folder that is not inside the repository.
        string exe = Path.Combine(AppContext.BaseDirectory, "edgenorm");
        var psi = new ProcessStartInfo(exe) { WorkingDirectory = _dir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "bundle", BundleTestModels.Calibrated, "--rid", "linux-arm64", "-o", "x.tar.gz" }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string err = p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(60_000));
        Assert.True(p.ExitCode == 2, err);
        Assert.Contains("not inside an EdgeNorm source checkout", err);
        Assert.Contains("--binary", err);
        Assert.False(File.Exists(Path.Combine(_dir, "x.tar.gz")));
    }

    [Fact]
    public void SourceCheckout_IsFoundFromInsideTheRepository_AndNotFromTemp()
    {
        Assert.Equal(EdgeNorm.Tests.TestPaths.RepoRoot, SourceCheckout.Find(Path.Combine(EdgeNorm.Tests.TestPaths.RepoRoot, "docs")));
        Assert.Null(SourceCheckout.Find(_dir));
    }
}
