namespace EdgeNorm.Runtime.Platform;

/// <summary>
/// The arm64 AT_HWCAP / AT_HWCAP2 bits, named as the kernel prints them in /proc/cpuinfo "Features"
/// (arch/arm64/include/uapi/asm/hwcap.h; arch/arm64/kernel/cpuinfo.c).
/// </summary>
internal static class Arm64Hwcaps
{
    // Index = bit number.
    private static readonly string[] Hwcap =
    [
        "fp", "asimd", "evtstrm", "aes", "pmull", "sha1", "sha2", "crc32",
        "atomics", "fphp", "asimdhp", "cpuid", "asimdrdm", "jscvt", "fcma", "lrcpc",
        "dcpop", "sha3", "sm3", "sm4", "asimddp", "sha512", "sve", "asimdfhm",
        "dit", "uscat", "ilrcpc", "flagm", "ssbs", "sb", "paca", "pacg",
    ];

    private static readonly string[] Hwcap2 =
    [
        "dcpodp", "sve2", "sveaes", "svepmull", "svebitperm", "svesha3", "svesm4", "flagm2",
        "frint", "svei8mm", "svef32mm", "svef64mm", "svebf16", "i8mm", "bf16", "dgh",
        "rng", "bti", "mte", "ecv", "afp", "rpres", "mte3", "sme",
    ];

    /// <summary>Adds the name of every set bit (bits this table does not know are skipped).</summary>
    public static void AddNames(ulong hwcap, ulong hwcap2, ISet<string> into)
    {
        for (int bit = 0; bit < Hwcap.Length; bit++)
            if ((hwcap & (1UL << bit)) != 0) into.Add(Hwcap[bit]);
        for (int bit = 0; bit < Hwcap2.Length; bit++)
            if ((hwcap2 & (1UL << bit)) != 0) into.Add(Hwcap2[bit]);
    }
}
