namespace EdgeNorm.Runtime;

/// <summary>
/// The integer op set of an <c>.edgn</c> graph (docs/numerics.md §12): the names the quantiser writes and the
/// executor reads. Every op reads and writes integer values only.
/// </summary>
public static class IntegerOpNames
{
    /// <summary>int8 [.., K] · packed int8 W[N, K]ᵀ + int32 bias → per-channel requant to int8 or int16. Inputs: x, w, bias, multipliers, shifts.</summary>
    public const string Linear = "QLinear";
    /// <summary>int8 [B, C, H, W] → non-overlapping patches → <see cref="Linear"/>; output [B, P, D]. Attribute kernel_shape.</summary>
    public const string PatchEmbed = "QPatchEmbed";
    /// <summary>Packed int8 qkv (or separate q, k, v; optional int64 0/1 key mask [B, S]) → i-exp softmax with log2-family codes → attention × V by shifts → int8.</summary>
    public const string Attention = "QAttention";
    /// <summary>Integer LayerNorm or L1Norm of an int16 row, then per-channel requant (γ, β) to int8 or int16. Attribute kind.</summary>
    public const string Norm = "QNorm";
    /// <summary>Per-channel affine a_c·x + b_c of an int16 tensor into int8 (folded RepBN/PRepBN).</summary>
    public const string ChannelAffine = "QChannelAffine";
    /// <summary>Exact 256-entry lookup table on int8 (GELU).</summary>
    public const string Lookup = "QLookup";
    /// <summary>Integer GELU of int8 (kind "igelu": I-BERT i-GELU, params [Bq, Cq, n, One]; kind "shiftgelu": ShiftGELU with exact division, params [X0, N, bits]) → int32 → requant (attribute multiplier) to int8.</summary>
    public const string Gelu = "QGelu";
    /// <summary>Residual add of two int16 tensors, each with its own dyadic multiplier.</summary>
    public const string Add = "QAdd";
    /// <summary>Residual add of an int16 tensor and a stored int16 constant broadcast over the batch.</summary>
    public const string AddConstant = "QAddConst";
    /// <summary>Prepends a stored token row to every sample: [B, S, D] → [B, S+1, D] (the cls token).</summary>
    public const string PrependToken = "QPrependToken";
    /// <summary>int16 → int8 per-tensor requant (a residual-stream value read by a matmul). Attribute multiplier.</summary>
    public const string Requant = "QRequant";
    /// <summary>int64 token ids [B, S] → rows of a stored int16 table [V, D] → int16 [B, S, D].</summary>
    public const string Embedding = "QEmbedding";
    /// <summary>Selects one token: [B, S, D] → [B, D] (x[:, i]).</summary>
    public const string SelectToken = "QSelectToken";
}
