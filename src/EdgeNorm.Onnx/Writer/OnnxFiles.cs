using EdgeNorm.Model.Format;

namespace EdgeNorm.Onnx.Writer;

/// <summary>Atomic file output for ONNX models (the one rule: <see cref="AtomicFile"/>).</summary>
public static class OnnxFiles
{
    public static void WriteAtomically(string path, byte[] bytes) => AtomicFile.WriteAllBytes(path, bytes);
}
