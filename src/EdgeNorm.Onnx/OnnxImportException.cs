using EdgeNorm.Model;

namespace EdgeNorm.Onnx;

/// <summary>An ONNX file cannot be imported: unreadable, corrupt, hostile, or using something EdgeNorm does not support.</summary>
public class OnnxImportException : EdgeNormException
{
    public OnnxImportException(string message) : base(message) { }
    public OnnxImportException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>One node the float op catalogue cannot run.</summary>
public sealed record UnsupportedNode(string NodeName, string OpType, string Domain, long Opset)
{
    public override string ToString() =>
        $"{NodeName} ({(Domain.Length > 0 ? Domain : "ai.onnx")}::{OpType}, opset {Opset})";
}

/// <summary>
/// The model uses ops EdgeNorm cannot run. Lists every unsupported node at once (after constant folding, so ops
/// that only computed constants do not count).
/// </summary>
public sealed class UnsupportedOpsException : OnnxImportException
{
    public IReadOnlyList<UnsupportedNode> Nodes { get; }

    public UnsupportedOpsException(string modelName, IReadOnlyList<UnsupportedNode> nodes)
        : base(Describe(modelName, nodes)) => Nodes = nodes;

    private static string Describe(string model, IReadOnlyList<UnsupportedNode> nodes)
    {
        var types = nodes.Select(n => (n.Domain.Length > 0 ? n.Domain + "::" : "") + n.OpType).Distinct().ToList();
        const int max = 20;
        var listed = string.Join("; ", nodes.Take(max));
        if (nodes.Count > max) listed += $"; … and {nodes.Count - max} more";
        return $"{model}: {nodes.Count} node(s) use op(s) EdgeNorm does not support ({string.Join(", ", types)}): {listed}. " +
               "See docs/onnx-support.md for the supported ops; re-export the model without them.";
    }
}
