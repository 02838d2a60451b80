namespace EdgeNorm.Runtime.Execution;

/// <summary>One node of the integer graph, bound to its constants at load. Immutable; shared by all sessions.</summary>
internal abstract class IntegerOp
{
    public required string Name { get; init; }
    public required int[] Inputs { get; init; }
    public required int[] Outputs { get; init; }

    /// <summary>Bytes of scratch this op needs for <paramref name="batch"/> samples.</summary>
    public virtual long ScratchBytes(int batch) => 0;

    public abstract void Execute(in OpContext ctx);
}
