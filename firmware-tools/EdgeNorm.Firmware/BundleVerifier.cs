namespace EdgeNorm.Firmware;

/// <summary>
/// Checks an opened bundle against its manifest: every listed file present, with the recorded size and SHA-256, the
/// binary built for the recorded target. The model's own checksums and golden vectors are the caller's next step
/// (`edgenorm verify` runs them on <see cref="BundleFolder.Manifest"/>.Model).
/// </summary>
public static class BundleVerifier
{
    /// <summary>One line per problem, each naming the file; empty when the bundle matches its manifest.</summary>
    public static IReadOnlyList<string> Check(BundleFolder bundle)
    {
        var problems = new List<string>();
        var m = bundle.Manifest;
        foreach (var name in new[] { m.Binary, m.Model })
            if (!m.Files.Any(f => f.Path == name)) problems.Add($"{bundle.DisplayPath(name)}: not listed in the manifest's files");
        foreach (var f in m.Files)
        {
            string path = bundle.FullPath(f.Path);
            if (f.Path.Contains("..") || Path.IsPathRooted(f.Path))
            {
                problems.Add($"{bundle.DisplayPath(f.Path)}: the manifest names a file outside the bundle");
                continue;
            }
            if (!File.Exists(path))
            {
                problems.Add($"{bundle.DisplayPath(f.Path)}: missing");
                continue;
            }
            long bytes = new FileInfo(path).Length;
            string sha = Sha256.HexOfFile(path);
            if (bytes != f.Bytes || !string.Equals(sha, f.Sha256, StringComparison.OrdinalIgnoreCase))
                problems.Add($"{bundle.DisplayPath(f.Path)}: sha256 mismatch (manifest {f.Sha256[..Math.Min(12, f.Sha256.Length)]}… {f.Bytes} B, file {sha[..12]}… {bytes} B)");
        }
        var target = BundleTarget.All.FirstOrDefault(t => t.Name == m.Target);
        string binary = bundle.FullPath(m.Binary);
        if (target is null)
            problems.Add($"{bundle.DisplayPath(BundleManifest.FileName)}: unknown target '{m.Target}'");
        else if (File.Exists(binary) && ElfHeader.Machine(binary) is var machine && machine != target.ElfMachine)
            problems.Add($"{bundle.DisplayPath(m.Binary)}: is {ElfHeader.Describe(machine)}, but the bundle is for {target.Name}");
        return problems;
    }
}
