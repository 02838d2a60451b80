using EdgeNorm.Model.Format;
using EdgeNorm.Model.Ir;

namespace EdgeNorm.Runtime.Execution;

/// <summary>One integer value of the plan: element type, per-sample shape and its place in the session arena.</summary>
internal sealed class ValueSlot
{
    public required string Name { get; init; }
    public required DataType DType { get; init; }
    /// <summary>Shape without the batch axis.</summary>
    public required int[] SampleShape { get; init; }
    public QuantParams? Quant { get; init; }
    public int ElementSize => EdgnDTypes.Size(DType);
    public int SampleElements { get; init; }
    public long Bytes(int batch) => (long)batch * SampleElements * ElementSize;
}
