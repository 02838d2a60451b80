using System.Buffers.Binary;
using System.Diagnostics;
using EdgeNorm.Model.Format;
using Xunit;

namespace EdgeNorm.Cli.Tests;

/// <summary>`edgenorm embed`: the C header compiles with gcc and holds the model's bytes, aligned; the flash image is padded and checksummed.</summary>
public sealed class EmbedTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("edgenorm-embed-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Out, string Err) Exec(string file, string dir, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var o = p.StandardOutput.ReadToEndAsync();
        string e = p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(120_000), $"{file} timed out");
        return (p.ExitCode, o.Result, e);
    }

    private static string? Gcc() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, "gcc")).FirstOrDefault(File.Exists);

    [Fact]
    public void CArray_CompilesWithGcc_IsAligned_AndHoldsTheModelBytes()
    {
        string gcc = Gcc() ?? throw new InvalidOperationException("gcc not found: scripts/setup.sh installs it (the C array must be compiled to be tested)");
        string model = BundleTestModels.Calibrated, header = Path.Combine(_dir, "vit_model.h");
        var r = CliRunner.Run("embed", model, "--format", "c", "--align", "128", "-o", header, "--json");
        Assert.True(r.ExitCode == 0, r.ToString());
        string text = File.ReadAllText(header);
        Assert.Contains("#define VIT_PREPBN_EDGN_ALIGN 128", text);
        Assert.Contains($"#define VIT_PREPBN_EDGN_SIZE {new FileInfo(model).Length}u", text);
        Assert.Contains(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(model))), text);

        // A program that includes the header (twice, to check the guard), checks size and alignment, and dumps the array.
        File.WriteAllText(Path.Combine(_dir, "dump.c"), """
            #include <stdio.h>
            #include <stdint.h>
            #include "vit_model.h"
            #include "vit_model.h"
            _Static_assert(sizeof(vit_prepbn_edgn) == VIT_PREPBN_EDGN_SIZE, "size macro");
            _Static_assert(_Alignof(vit_prepbn_edgn) == VIT_PREPBN_EDGN_ALIGN, "alignment attribute");
            int main(int argc, char **argv) {
                if ((uintptr_t)vit_prepbn_edgn % VIT_PREPBN_EDGN_ALIGN != 0) return 3;
                FILE *f = fopen(argv[1], "wb");
                if (!f || argc < 2) return 4;
                if (fwrite(vit_prepbn_edgn, 1, VIT_PREPBN_EDGN_SIZE, f) != VIT_PREPBN_EDGN_SIZE) return 5;
                return fclose(f) == 0 ? 0 : 6;
            }
            """);
        var c = Exec(gcc, _dir, "-std=c11", "-Wall", "-Wextra", "-Werror", "-c", "dump.c", "-o", "dump.o");
        Assert.True(c.Code == 0, c.Err);
        var l = Exec(gcc, _dir, "dump.o", "-o", "dump");
        Assert.True(l.Code == 0, l.Err);
        var run = Exec(Path.Combine(_dir, "dump"), _dir, "out.edgn");
        Assert.True(run.Code == 0, $"dump exited {run.Code}");
        Assert.Equal(File.ReadAllBytes(model), File.ReadAllBytes(Path.Combine(_dir, "out.edgn")));
    }

    [Fact]
    public void BinImage_IsPaddedWithErasedFlashToTheAlignment_WithItsChecksum()
    {
        string model = BundleTestModels.Calibrated, image = Path.Combine(_dir, "model.bin");
        byte[] bytes = File.ReadAllBytes(model);
        var r = CliRunner.Run("embed", model, "--format", "bin", "--align", "4096", "-o", image);
        Assert.True(r.ExitCode == 0, r.ToString());
        byte[] img = File.ReadAllBytes(image);
        Assert.Equal(0, img.Length % 4096);
        Assert.InRange(img.Length - bytes.Length, 0, 4095);
        Assert.Equal(bytes, img[..bytes.Length]);
        Assert.All(img[bytes.Length..], b => Assert.Equal(0xFF, b));
        Assert.Equal($"{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(img))}  model.bin\n", File.ReadAllText(image + ".sha256"));

        // A device finds the model's end in its preamble (data offset + data length) and loads it from the image.
        long end = (long)(BinaryPrimitives.ReadUInt64LittleEndian(img.AsSpan(24)) + BinaryPrimitives.ReadUInt64LittleEndian(img.AsSpan(32)));
        Assert.Equal(bytes.Length, end);
        using var loaded = EdgnModel.Load(img.AsMemory(0, (int)end));
        Assert.True(loaded.VerifyChecksums().IsValid);
    }

    [Theory]
    [InlineData("--align", "100")]
    [InlineData("--align", "32")]
    [InlineData("--format", "hex")]
    [InlineData("--symbol", "9lives")]
    public void BadOptions_ExitTwo(string option, string value)
    {
        string output = Path.Combine(_dir, "out");
        var args = new List<string> { "embed", BundleTestModels.Calibrated, "-o", output };
        if (option != "--format") args.AddRange(["--format", "c"]);
        args.AddRange([option, value]);
        var r = CliRunner.Run([.. args]);
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Single(r.Err.TrimEnd().Split('\n'));
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void MissingOrDamagedModel_ExitsTwo()
    {
        string output = Path.Combine(_dir, "out.h");
        var missing = CliRunner.Run("embed", Path.Combine(_dir, "none.edgn"), "--format", "c", "-o", output);
        Assert.True(missing.ExitCode == 2, missing.ToString());

        byte[] bytes = File.ReadAllBytes(BundleTestModels.Calibrated);
        bytes[^10] ^= 0x40; // a tensor byte: the file parses, its checksum fails
        string damaged = Path.Combine(_dir, "damaged.edgn");
        File.WriteAllBytes(damaged, bytes);
        var r = CliRunner.Run("embed", damaged, "--format", "bin", "-o", output);
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains("checksums do not match", r.Err);
        Assert.False(File.Exists(output));
    }
}
