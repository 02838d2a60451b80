using EdgeNorm.Calibration.Float.Fused;

namespace EdgeNorm.Calibration.Float;

public static partial class FloatOps
{
    /// <summary>The fused EdgeNorm ops (domain "edgenorm"); contracts in docs/fusion.md.</summary>
    static partial void AddFusedOps(List<IFloatOp> ops)
    {
        ops.Add(new LinearOp());
        ops.Add(new PatchEmbedOp());
        ops.Add(new AttentionOp());
        ops.Add(new GeluOp());
        ops.Add(new LayerNormOp());
        ops.Add(new L1NormOp());
        ops.Add(new RepBnOp());
        ops.Add(new BatchNormOp());
        ops.Add(new EmbeddingOp());
    }
}
