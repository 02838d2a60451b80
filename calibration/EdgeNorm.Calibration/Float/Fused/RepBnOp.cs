using EdgeNorm.Model.Ir;
using static EdgeNorm.Calibration.Float.Fused.FusedKernel;

namespace EdgeNorm.Calibration.Float.Fused;

/// <summary>
/// edgenorm.RepBN(X[…, C], γ[C], β[C], μ[C], σ²[C], α?) → Y, channels on the last axis:
/// y = BN(x) + α·x = (γ_c/√(σ²_c + ε) + α)·x + (β_c − μ_c·γ_c/√(σ²_c + ε)) — the per-channel affine
/// a_c·x + b_c of SLAB's RepBN at inference (<see cref="Fold"/>). α is a one-element (or per-channel)
/// tensor; omitted, it is 0 (a plain channels-last BN). Attribute epsilon.
/// </summary>
public sealed class RepBnOp : IFloatOp
{
    public string Domain => Node.EdgeNormDomain;
    public string OpType => "RepBN";

    public Tensor[] Forward(OpContext context, Node node, Tensor?[] inputs)
    {
        var x = Input(node, inputs, 0, "X");
        if (x.Rank < 1) throw Error(node, "X must have a channel axis");
        int c = x.Shape[^1];
        var (a, b) = Fold(node, inputs, c);
        var xf = Floats(node, x, "X");
        var y = new float[xf.Length];
        for (int i = 0; i < xf.Length; i++)
        {
            int ch = i % c;
            y[i] = (float)(xf[i] * a[ch] + b[ch]);
        }
        return [Tensor.FromFloats((int[])x.Shape.Clone(), y)];
    }

    /// <summary>The folded per-channel affine (a_c, b_c) of a RepBN node's inputs (in double).</summary>
    public static (double[] A, double[] B) Fold(Node node, Tensor?[] inputs, int channels)
    {
        var (scale, shift) = BatchNormOp.Affine(node, inputs, channels, 1);
        var alpha = PerChannel(node, Optional(inputs, 5), channels, "alpha");
        if (alpha is not null)
            for (int i = 0; i < channels; i++) scale[i] += alpha[i];
        return (scale, shift);
    }
}
