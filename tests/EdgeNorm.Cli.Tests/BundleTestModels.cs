using System.Buffers.Binary;
using EdgeNorm.Tests;

namespace EdgeNorm.Cli.Tests;

/// <summary>
/// Models and stand-in binaries the bundle/embed/bench tests share: one calibrated ViT with a golden set (made once
/// per test process, with `edgenorm calibrate`), and minimal ELF headers for each target's machine.
/// </summary>
internal static class BundleTestModels
{
    private static readonly Lazy<string> LazyCalibrated = new(Calibrate);

    /// <summary>vit_prepbn.onnx calibrated to an .edgn with a golden set.</summary>
    public static string Calibrated => LazyCalibrated.Value;

    private static string Calibrate()
    {
        string dir = Directory.CreateTempSubdirectory("edgenorm-bundle-model-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { Directory.Delete(dir, true); } catch (IOException) { } };
        string model = Path.Combine(dir, "vit_prepbn.edgn");
        var r = CliRunner.Run("calibrate", TestPaths.Fixture("vit_prepbn.onnx"), "-o", model,
            "--data", TestPaths.Fixture("digits_calib_x.npy"), "--samples", "64", "--seed", "1");
        if (r.ExitCode != 0) throw new InvalidOperationException("calibrate for the bundle tests failed: " + r);
        return model;
    }

    /// <summary>A 64-byte file that is a 64-bit little-endian ELF header for <paramref name="machine"/> (62 x86-64, 183 AArch64).</summary>
    public static string FakeElf(string dir, ushort machine, string name = "edgenorm-fake")
    {
        var bytes = new byte[64];
        "\x7F"u8.CopyTo(bytes);
        "ELF"u8.CopyTo(bytes.AsSpan(1));
        bytes[4] = 2; // ELFCLASS64
        bytes[5] = 1; // little-endian
        bytes[6] = 1; // EV_CURRENT
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(16), 2); // ET_EXEC
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(18), machine);
        string path = Path.Combine(dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
