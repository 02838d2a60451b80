using EdgeNorm.Model.Ir;

namespace EdgeNorm.Calibration.Autodiff;

/// <summary>
/// What a backward rule knows about its node when the tape is built: shapes are fixed per tape (the tape is built
/// for one input shape), so every op can precompute its index arithmetic once.
/// </summary>
/// <param name="Node">The graph node.</param>
/// <param name="Opset">Default-domain opset of the graph.</param>
/// <param name="InputShapes">Shape of each input (null where an optional input is omitted).</param>
/// <param name="OutputShapes">Shape of each output (null where an output is unused).</param>
/// <param name="Constants">The value of every input that does not depend on a differentiated input (null where it does, or is omitted).</param>
public sealed record GradNode(Node Node, int Opset, int[]?[] InputShapes, int[]?[] OutputShapes, Tensor?[] Constants)
{
    /// <summary>True when input <paramref name="i"/> depends on a differentiated input (it receives a gradient).</summary>
    public bool IsActive(int i) => i < Node.Inputs.Count && Node.Inputs[i].Length > 0 && Constants[i] is null;

    public int[] InShape(int i) => InputShapes[i] ?? throw new GradientException($"node '{Node.Name}' ({Node.OpType}): input {i} is missing");

    public int[] OutShape(int i) => OutputShapes[i] ?? throw new GradientException($"node '{Node.Name}' ({Node.OpType}): output {i} has no shape");

    /// <summary>Throws unless input <paramref name="i"/> is constant (weights are frozen: gradients flow to activations only).</summary>
    public void RequireConstant(int i, string what)
    {
        if (IsActive(i))
            throw new GradientException($"node '{Node.Name}' ({Node.OpType}): {what} depends on a differentiated input; gradients are taken with respect to activations only, {what} must be a constant");
    }

    public GradientException Error(string message) => new($"node '{Node.Name}' ({Node.OpType}): {message}");
}
