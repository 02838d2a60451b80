using EdgeNorm.Model;

namespace EdgeNorm.Onnx.Export;

/// <summary>An .edgn model cannot be exported as QDQ ONNX (an integer op or layout the exporter does not reconstruct).</summary>
public sealed class QdqExportException(string message) : EdgeNormException(message);
