using EdgeNorm.Model;

namespace EdgeNorm.Calibration.Float;

/// <summary>
/// An op of the float executor was given inputs it cannot compute on (shapes that do not broadcast, an
/// out-of-range index, a missing required input, an unsupported attribute value or data type).
/// The executor prefixes the message with the node's name and op type.
/// </summary>
public class FloatOpException : EdgeNormException
{
    public FloatOpException(string message) : base(message) { }
    public FloatOpException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>A node failed while the float executor ran it; names the node.</summary>
public sealed class FloatExecutionException : EdgeNormException
{
    public string NodeName { get; }
    public string OpType { get; }

    public FloatExecutionException(string nodeName, string opType, string message, Exception? inner = null)
        : base($"node '{nodeName}' ({opType}): {message}", inner ?? new InvalidOperationException(message))
    {
        NodeName = nodeName;
        OpType = opType;
    }
}

/// <summary>
/// The inputs given to <see cref="FloatExecutor.Run(IReadOnlyDictionary{string, EdgeNorm.Model.Ir.Tensor})"/>
/// do not match the graph: an unknown or missing name, a wrong data type, or a shape that contradicts the
/// declared one. The message names the input, the expected and the actual shape/type.
/// </summary>
public sealed class InputMismatchException : EdgeNormException
{
    public string InputName { get; }

    public InputMismatchException(string inputName, string message) : base(message) => InputName = inputName;
}
