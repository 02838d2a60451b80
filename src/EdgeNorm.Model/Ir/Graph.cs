namespace EdgeNorm.Model.Ir;

/// <summary>
/// The float IR: what ONNX import produces and what the float reference executor, calibration and the
/// quantiser consume. Nodes are kept in topological order.
/// </summary>
public sealed class Graph
{
    public string Name { get; set; } = "";
    /// <summary>Default-domain opset the model was exported with.</summary>
    public int Opset { get; set; }
    public List<ValueInfo> Inputs { get; init; } = [];
    public List<ValueInfo> Outputs { get; init; } = [];
    public List<Node> Nodes { get; init; } = [];
    public Dictionary<string, Tensor> Initializers { get; init; } = new(StringComparer.Ordinal);
    /// <summary>
    /// Element types and shapes of intermediate tensors, as far as known: declared in the source file or inferred at
    /// import (symbolic dims such as the batch stay symbols; "?k" marks an unknown dim). May be incomplete.
    /// </summary>
    public Dictionary<string, ValueInfo> ValueInfos { get; init; } = new(StringComparer.Ordinal);
    /// <summary>BatchNormalization statistics captured at import, before any folding (ZeroQ needs them).</summary>
    public List<BnStatistic> BnStatistics { get; init; } = [];
    public Dictionary<string, string> Metadata { get; init; } = new(StringComparer.Ordinal);
}

/// <summary>
/// One BatchNormalization of the source model: the tensor it normalises, its running statistics and the
/// channel axis of that tensor (1 for NCHW / N,C,L layouts; the last axis for a BN wrapped in transposes).
/// </summary>
public sealed record BnStatistic(string NodeName, string InputTensor, float[] Mean, float[] Variance, float Epsilon, int ChannelAxis);
