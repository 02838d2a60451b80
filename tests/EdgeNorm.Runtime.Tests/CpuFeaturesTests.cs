using System.Buffers.Binary;
using System.Runtime.InteropServices;
using EdgeNorm.Runtime.Platform;
using Xunit;

namespace EdgeNorm.Runtime.Tests;

/// <summary>
/// CPU feature detection from fixed kernel images: the arm64 auxiliary vector (AT_HWCAP/AT_HWCAP2) and /proc/cpuinfo
/// as qemu-user shows it (the x86 host's file) — so the arm64 logic is checked on this x64 machine too.
/// </summary>
public sealed class CpuFeaturesTests
{
    // The values docs/arm64.md recorded under qemu 7.2: -cpu max and -cpu cortex-a72.
    private const ulong QemuMaxHwcap = 0xecfffffb, QemuMaxHwcap2 = 0x7f877fff;
    private const ulong CortexA72Hwcap = 0x8fb;

    private static readonly string[] X86HostCpuinfo =
    [
        "processor\t: 0",
        "vendor_id\t: AuthenticAMD",
        "model name\t: AMD EPYC 9B14",
        "flags\t\t: fpu sse2 avx avx2 avx512bw avx512_vnni avx_vnni",
        "",
        "processor\t: 1",
        "flags\t\t: fpu sse2 avx avx2 avx512bw avx512_vnni avx_vnni",
    ];

    private static readonly string[] PiCpuinfo =
    [
        "processor\t: 0",
        "BogoMIPS\t: 108.00",
        "Features\t: fp asimd evtstrm crc32 cpuid",
        "CPU part\t: 0xd08",
        "Model\t\t: Raspberry Pi 4 Model B Rev 1.4",
    ];

    /// <summary>An auxv image: (key, value) 64-bit little-endian pairs, then AT_NULL.</summary>
    private static byte[] Auxv(params (ulong Key, ulong Value)[] entries)
    {
        var image = new byte[(entries.Length + 1) * 16];
        for (int i = 0; i < entries.Length; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(image.AsSpan(i * 16), entries[i].Key);
            BinaryPrimitives.WriteUInt64LittleEndian(image.AsSpan(i * 16 + 8), entries[i].Value);
        }
        return image;
    }

    private static CpuFeatures Arm64(string[] cpuinfo, byte[]? auxv) =>
        CpuFeatures.Combine(Architecture.Arm64, new HashSet<string>(StringComparer.Ordinal), [], cpuinfo, auxv);

    [Fact]
    public void Auxv_FindsHwcapAmongOtherEntries_AndStopsAtNull()
    {
        var image = Auxv((33, 0x7fff0000), (AuxiliaryVector.AtHwcap, QemuMaxHwcap), (6, 4096), (AuxiliaryVector.AtHwcap2, QemuMaxHwcap2));
        Assert.Equal(QemuMaxHwcap, AuxiliaryVector.Find(image, AuxiliaryVector.AtHwcap));
        Assert.Equal(QemuMaxHwcap2, AuxiliaryVector.Find(image, AuxiliaryVector.AtHwcap2));
        Assert.Null(AuxiliaryVector.Find(image, 99));

        // An entry after AT_NULL is not part of the vector; a truncated entry is ignored.
        var afterNull = Auxv((6, 4096), (0, 0), (AuxiliaryVector.AtHwcap, 1));
        Assert.Null(AuxiliaryVector.Find(afterNull, AuxiliaryVector.AtHwcap));
        Assert.Null(AuxiliaryVector.Find(image.AsSpan(0, 16 + 12), AuxiliaryVector.AtHwcap));
    }

    [Fact]
    public void Arm64UnderQemuMax_FeaturesComeFromAuxv_NotFromTheX86HostFlags()
    {
        var cpu = Arm64(X86HostCpuinfo, Auxv((AuxiliaryVector.AtHwcap, QemuMaxHwcap), (AuxiliaryVector.AtHwcap2, QemuMaxHwcap2)));
        Assert.Equal("auxv", cpu.Source);
        Assert.Equal("arm64", cpu.Architecture);
        foreach (var f in new[] { "fp", "asimd", "asimdrdm", "asimddp", "sve", "i8mm", "sve2", "bf16" })
            Assert.True(cpu.Has(f), f);
        Assert.False(cpu.Has("evtstrm")); // bit 2 is clear in 0x...fb
        foreach (var f in new[] { "avx2", "avx512bw", "avx_vnni", "sse2", "fpu" })
            Assert.False(cpu.Has(f), f);
        Assert.Equal("", cpu.ModelName); // "model name" is the host's x86 CPU
    }

    [Fact]
    public void Arm64UnderCortexA72_HasNeonButNoDotprod()
    {
        var cpu = Arm64(X86HostCpuinfo, Auxv((AuxiliaryVector.AtHwcap, CortexA72Hwcap), (AuxiliaryVector.AtHwcap2, 0)));
        Assert.Equal(["aes", "asimd", "cpuid", "crc32", "fp", "pmull", "sha1", "sha2"], cpu.Features.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Arm64WithoutAuxv_FallsBackToFeaturesLine_AndIgnoresX86Flags()
    {
        var pi = Arm64(PiCpuinfo, auxv: null);
        Assert.Equal("/proc/cpuinfo", pi.Source);
        Assert.Equal(["asimd", "cpuid", "crc32", "evtstrm", "fp"], pi.Features.Order(StringComparer.Ordinal));
        Assert.Equal("0xd08", pi.ModelName);

        var qemuNoAuxv = Arm64(X86HostCpuinfo, auxv: []);
        Assert.Empty(qemuNoAuxv.Features);
        Assert.Equal("none", qemuNoAuxv.Source);
    }

    [Fact]
    public void X64_StillReadsFlagsAndModelName()
    {
        var (model, flags) = CpuFeatures.ParseCpuinfo(X86HostCpuinfo, arm64: false);
        Assert.Equal("AMD EPYC 9B14", model);
        Assert.Contains("avx512_vnni", flags);
    }

    [Fact]
    public void Current_OnThisMachine_ReportsItsOwnArchitectureFamily()
    {
        var cpu = CpuFeatures.Current;
        if (RuntimeInformation.ProcessArchitecture == Architecture.Arm64)
            Assert.True(cpu.Has("asimd"), string.Join(' ', cpu.Features));
        else if (RuntimeInformation.ProcessArchitecture == Architecture.X64)
            Assert.True(cpu.Has("sse2") && !cpu.Has("asimd"), string.Join(' ', cpu.Features));
    }
}
