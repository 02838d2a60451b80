namespace EdgeNorm.Onnx.Fusion;

/// <summary>
/// Op types and attribute names of the fused ops (domain <see cref="EdgeNorm.Model.Ir.Node.EdgeNormDomain"/>).
/// Contracts: docs/fusion.md. The float kernels (EdgeNorm.Calibration, Float/Fused/) use the same strings.
/// </summary>
public static class FusedOps
{
    public const string Linear = "Linear";
    public const string PatchEmbed = "PatchEmbed";
    public const string Attention = "Attention";
    public const string Gelu = "Gelu";
    public const string LayerNorm = "LayerNorm";
    public const string L1Norm = "L1Norm";
    public const string RepBN = "RepBN";
    public const string BatchNorm = "BatchNorm";
    public const string Embedding = "Embedding";

    public static readonly IReadOnlyList<string> All = [Linear, PatchEmbed, Attention, Gelu, LayerNorm, L1Norm, RepBN, BatchNorm, Embedding];

    // Attribute names.
    public const string Epsilon = "epsilon";
    /// <summary>L1Norm: the constant c multiplying the mean absolute deviation.</summary>
    public const string MadScale = "mad_scale";
    /// <summary>Gelu: "none" (erf form) or "tanh".</summary>
    public const string Approximate = "approximate";
    public const string NumHeads = "num_heads";
    public const string Scale = "scale";
    /// <summary>Attention: 1 when input 0 is the packed qkv tensor.</summary>
    public const string PackedQkv = "packed_qkv";
    public const string KernelShape = "kernel_shape";
}
