namespace EdgeNorm.Firmware;

/// <summary>
/// A board a bundle is built for: one of the publish profiles (publish-profiles/*.pubxml). <see cref="Name"/> is what
/// `--rid` takes; it is the .NET runtime identifier, or the profile name where one RID has two profiles.
/// </summary>
public sealed record BundleTarget(string Name, string RuntimeIdentifier, ushort ElfMachine, string RequiredIsa)
{
    public const ushort ElfX64 = 62, ElfAarch64 = 183;

    public static IReadOnlyList<BundleTarget> All { get; } =
    [
        new("linux-x64", "linux-x64", ElfX64, "x86-64-v3 (AVX2, FMA); AVX-VNNI used when present"),
        new("linux-x64-v4", "linux-x64", ElfX64, "x86-64-v4 (AVX-512 F/BW/VL/DQ); AVX-VNNI used when present"),
        new("linux-arm64", "linux-arm64", ElfAarch64, "armv8-a (NEON); dotprod used when present"),
        new("linux-arm64-dotprod", "linux-arm64", ElfAarch64, "armv8.2-a + dotprod"),
    ];

    /// <summary>The glibc the AOT binaries need at least (Debian 12's cross glibc; docs/arm64.md).</summary>
    public const string MinimumGlibc = "2.34";

    public static BundleTarget Parse(string name) =>
        All.FirstOrDefault(t => t.Name == name)
        ?? throw new FirmwareException($"unknown --rid '{name}'; valid: {string.Join(", ", All.Select(t => t.Name))}");

    public string Architecture => ElfMachine == ElfAarch64 ? "arm64" : "x64";
}
