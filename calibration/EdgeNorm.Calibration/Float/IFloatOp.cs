using EdgeNorm.Model.Ir;

namespace EdgeNorm.Calibration.Float;

/// <summary>What an op may know about the graph it runs in (the default-domain opset decides semantics).</summary>
public sealed record OpContext(int Opset);

/// <summary>
/// One op of the float reference executor: a small type per op, so calibration can add the op's
/// reverse-mode gradient beside its forward instead of building a second executor.
/// </summary>
public interface IFloatOp
{
    /// <summary>"" for ONNX ops, <see cref="Node.EdgeNormDomain"/> for fused ops.</summary>
    string Domain { get; }
    string OpType { get; }

    /// <summary>Computes the node's outputs. <paramref name="inputs"/> has null where an optional input is omitted.</summary>
    Tensor[] Forward(OpContext context, Node node, Tensor?[] inputs);
}
