using System.CommandLine;
using EdgeNorm.Firmware;

namespace EdgeNorm.Cli.Verbs;

/// <summary>
/// `edgenorm embed M.edgn --format c|bin [--align 64] -o OUT`: the model as a C header holding an aligned array (size,
/// SHA-256 and CRC-32C as macros), or as a raw image for a flash partition padded to the alignment, with OUT.sha256.
/// </summary>
internal static class EmbedVerb
{
    public static Command Create(TextWriter o, TextWriter e)
    {
        var model = new Argument<string>("model") { Description = "M.edgn" };
        var format = new Option<string>("--format") { Description = "c (a header with the array) or bin (a padded flash image)", Required = true };
        var align = new Option<int>("--align") { Description = "alignment in bytes: of the array (c) or of the image size (bin; e.g. the flash erase block)", DefaultValueFactory = _ => 64 };
        var symbol = new Option<string>("--symbol") { Description = "C array name (c; default from the file name, e.g. vit_edgn)" };
        var output = new Option<string>("--output", "-o") { Description = "OUT (.h for c, .bin for bin)", Required = true };
        var json = new Option<bool>("--json") { Description = "one JSON object on stdout" };
        var cmd = new Command("embed", "The model as a C array or an aligned raw image for a flash partition.")
            { model, format, align, symbol, output, json };
        cmd.SetAction(r =>
        {
            string path = r.GetValue(model)!, outPath = r.GetValue(output)!, fmt = r.GetValue(format)!;
            if (fmt is not ("c" or "bin")) throw new FirmwareException($"--format {fmt}: use c (a C header) or bin (a flash image)");
            int a = r.GetValue(align);
            var res = fmt == "c"
                ? ModelEmbedder.WriteC(path, outPath, a, r.GetValue(symbol), Versions.EdgeNorm)
                : ModelEmbedder.WriteBin(path, outPath, a);
            if (r.GetValue(json))
            {
                using var j = JsonOut.Begin(o);
                j.WriteString("output", res.OutputPath);
                j.WriteString("format", fmt);
                j.WriteNumber("align", a);
                j.WriteNumber("model_bytes", res.ModelBytes);
                j.WriteNumber("image_bytes", res.ImageBytes);
                j.WriteString(fmt == "c" ? "sha256" : "image_sha256", res.Sha256);
                j.WriteString("crc32c", $"0x{res.Crc32C:x8}");
                if (res.Symbol is not null) j.WriteString("symbol", res.Symbol);
            }
            else if (fmt == "c")
            {
                o.WriteLine($"wrote {outPath}: {res.Symbol}[{res.ModelBytes}] aligned to {a}, sha256 {res.Sha256}, crc32c 0x{res.Crc32C:x8}");
            }
            else
            {
                o.WriteLine($"wrote {outPath}: {res.ImageBytes:N0} bytes ({res.ModelBytes:N0} model + {res.ImageBytes - res.ModelBytes:N0} padding 0xff, " +
                            $"a multiple of {a}); image sha256 {res.Sha256} (in {Path.GetFileName(outPath)}.sha256), model crc32c 0x{res.Crc32C:x8}");
            }
            return CliApp.Ok;
        });
        return cmd;
    }
}
