using System.CommandLine;
using EdgeNorm.Onnx.Export;

namespace EdgeNorm.Cli.Verbs;

/// <summary>
/// `edgenorm export-qdq M.edgn -o M.qdq.onnx`: the calibration as a QDQ ONNX model for ONNX Runtime (int8 weights
/// per channel, activation scales from the .edgn). Written atomically; unreadable or unexportable models exit 2.
/// </summary>
internal static class ExportQdqVerb
{
    public static Command Create(TextWriter o, TextWriter e)
    {
        var model = new Argument<string>("model") { Description = "M.edgn" };
        var output = new Option<string>("--output", "-o") { Description = "M.qdq.onnx", Required = true };
        var cmd = new Command("export-qdq", "Export the calibration as a QDQ ONNX model for ONNX Runtime.") { model, output };
        cmd.SetAction(r =>
        {
            string src = r.GetValue(model)!, dst = r.GetValue(output)!;
            QdqExporter.Export(src, dst); // EdgeNormException -> one line, exit 2 (CliApp)
            o.WriteLine($"{dst}: QDQ ONNX written from {src} ({new FileInfo(dst).Length} bytes)");
            return 0;
        });
        return cmd;
    }
}
