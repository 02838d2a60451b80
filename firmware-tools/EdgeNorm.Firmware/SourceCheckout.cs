using System.Diagnostics;

namespace EdgeNorm.Firmware;

/// <summary>
/// An EdgeNorm source checkout, found upwards from the current folder, that can publish the AOT binary a bundle
/// needs when no --binary is given: `dotnet publish src/EdgeNorm.Cli -p:PublishProfile=TARGET`.
/// </summary>
public static class SourceCheckout
{
    /// <summary>The checkout's root folder above (or at) <paramref name="start"/>, or null.</summary>
    public static string? Find(string start)
    {
        for (var dir = new DirectoryInfo(Path.GetFullPath(start)); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "EdgeNorm.sln"))
                && File.Exists(Path.Combine(dir.FullName, "src", "EdgeNorm.Cli", "EdgeNorm.Cli.csproj"))
                && Directory.Exists(Path.Combine(dir.FullName, "publish-profiles")))
                return dir.FullName;
        }
        return null;
    }

    /// <summary>
    /// Publishes edgenorm for <paramref name="target"/> into ROOT/out/bundle/TARGET/ (its own artifacts folder, so a
    /// developer's bin/obj stay untouched) and returns the binary's path. Progress goes to <paramref name="log"/>.
    /// </summary>
    public static string Publish(string root, BundleTarget target, TextWriter log, TimeSpan timeout)
    {
        string outDir = Path.Combine(root, "out", "bundle");
        string publishDir = Path.Combine(outDir, target.Name);
        Directory.CreateDirectory(outDir);
        string logPath = Path.Combine(outDir, $"publish-{target.Name}.log");
        var psi = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "publish", Path.Combine("src", "EdgeNorm.Cli"), $"-p:PublishProfile={target.Name}",
                     "--artifacts-path", Path.Combine(outDir, "artifacts"), $"-p:PublishDir={publishDir}/" })
            psi.ArgumentList.Add(a);
        log.WriteLine($"edgenorm bundle: no --binary; publishing it from the checkout {root} (dotnet publish -p:PublishProfile={target.Name}; log {logPath})");
        Process p;
        try
        {
            p = Process.Start(psi) ?? throw new FirmwareException("could not start `dotnet`");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new FirmwareException($"no --binary given and `dotnet` could not be started to publish one ({e.Message}); pass --binary PATH", e);
        }
        using (p)
        using (var file = new StreamWriter(logPath))
        {
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(timeout))
            {
                p.Kill(entireProcessTree: true);
                throw new FirmwareException($"dotnet publish for {target.Name} took longer than {timeout.TotalMinutes:F0} min; log {logPath}");
            }
            file.Write(stdout.Result);
            file.Write(stderr.Result);
            if (p.ExitCode != 0)
                throw new FirmwareException($"dotnet publish -p:PublishProfile={target.Name} failed (exit {p.ExitCode}); see {logPath}" +
                                            (target.ElfMachine == BundleTarget.ElfAarch64 ? " (arm64 needs the cross toolchain: scripts/setup.sh)" : ""));
        }
        string binary = Path.Combine(publishDir, "edgenorm");
        return File.Exists(binary) ? binary : throw new FirmwareException($"dotnet publish succeeded but wrote no {binary}; see {logPath}");
    }
}
