using System.CommandLine;
using EdgeNorm.Firmware;

namespace EdgeNorm.Cli.Verbs;

/// <summary>
/// `edgenorm bundle M.edgn --rid TARGET [--binary PATH] -o OUT.tar.gz`: a deployable bundle for a board — the AOT
/// binary for TARGET, the model, manifest.json (sha256 of each file, versions, ISA, input/output spec), run.sh and a
/// systemd unit (firmware-tools/EdgeNorm.Firmware). Without --binary it publishes one from the source checkout above
/// the current folder.
/// </summary>
internal static class BundleVerb
{
    private static readonly TimeSpan PublishTimeout = TimeSpan.FromMinutes(20);

    public static Command Create(TextWriter o, TextWriter e)
    {
        var model = new Argument<string>("model") { Description = "M.edgn" };
        var rid = new Option<string>("--rid") { Description = $"target: {string.Join(", ", BundleTarget.All.Select(t => t.Name))}", Required = true };
        var binary = new Option<string>("--binary") { Description = "the target's AOT edgenorm (default: publish it from this source checkout)" };
        var output = new Option<string>("--output", "-o") { Description = "OUT.tar.gz", Required = true };
        var json = new Option<bool>("--json") { Description = "one JSON object on stdout" };
        var cmd = new Command("bundle", "Deployable bundle for a board: AOT binary, model, manifest, run script, systemd unit.")
            { model, rid, binary, output, json };
        cmd.SetAction(r =>
        {
            string modelPath = r.GetValue(model)!;
            var target = BundleTarget.Parse(r.GetValue(rid)!);
            if (!File.Exists(modelPath)) throw new FirmwareException($"{modelPath}: no such model file");
            string? bin = r.GetValue(binary);
            if (bin is null)
            {
                string root = SourceCheckout.Find(Environment.CurrentDirectory) ?? throw new FirmwareException(
                    $"no --binary given and {Environment.CurrentDirectory} is not inside an EdgeNorm source checkout to publish one from; " +
                    $"pass --binary PATH to the {target.Name} AOT edgenorm (dotnet publish src/EdgeNorm.Cli -p:PublishProfile={target.Name})");
                bin = SourceCheckout.Publish(root, target, e, PublishTimeout);
            }
            string outPath = r.GetValue(output)!;
            var manifest = BundleWriter.Write(new BundleRequest(modelPath, target, bin, outPath, Versions.EdgeNorm, Versions.Format));
            long bytes = new FileInfo(outPath).Length;
            if (r.GetValue(json))
            {
                using var j = JsonOut.Begin(o);
                j.WriteString("bundle", outPath);
                j.WriteNumber("bytes", bytes);
                j.WriteString("target", manifest.Target);
                j.WriteString("folder", $"{manifest.Name}-{manifest.Target}");
                JsonOut.Strings(j, "files", manifest.Files.Select(f => f.Path).Prepend(BundleManifest.FileName));
            }
            else
            {
                o.WriteLine($"wrote {outPath}: {bytes:N0} bytes, folder {manifest.Name}-{manifest.Target}/ for {manifest.Target} ({manifest.RequiredIsa}; glibc ≥ {manifest.MinimumGlibc})");
                foreach (var f in manifest.Files) o.WriteLine($"  {f.Path,-28} {f.Bytes,12:N0} B  sha256 {f.Sha256}");
                o.WriteLine($"on the board: tar -xzf {Path.GetFileName(outPath)} && {manifest.Name}-{manifest.Target}/run.sh   (self-check; see run.sh)");
            }
            return CliApp.Ok;
        });
        return cmd;
    }
}
