using EdgeNorm.Model.Ir;
using static EdgeNorm.Calibration.Float.Fused.FusedKernel;

namespace EdgeNorm.Calibration.Float.Fused;

/// <summary>
/// edgenorm.RepBN(X[…, C], γ[C], β[C], μ[C], σ²[C], α?) → Y, channels on the last axis:
/// y = BN(x) + α·x = a_c·x + b_c with a_c = γ_c/√(σ²_c + ε) + α, b_c = β_c − μ_c·γ_c/√(σ²_c + ε) — SLAB's
/// RepBN at inference (<see cref="Fold"/> gives a, b for the quantiser). α is one value (or one per channel);
/// omitted, it is 0. Attribute epsilon. Evaluated as the exported graph: the BN as the ONNX op computes it,
/// plus α·x, in float32.
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
        var (scale, shift) = BatchNormOp.Affine(node, inputs, c, 1);
        var alpha = PerChannel(node, Optional(inputs, 5), c, "alpha");
        var xf = Floats(node, x, "X");
        var y = new float[xf.Length];
        for (int i = 0; i < xf.Length; i++)
        {
            int ch = i % c;
            float bn = xf[i] * scale[ch] + shift[ch];
            y[i] = alpha is null ? bn : bn + alpha[ch] * xf[i];
        }
        return [Tensor.FromFloats((int[])x.Shape.Clone(), y)];
    }

    /// <summary>
    /// The folded per-channel affine of a RepBN node's inputs, in double: a_c = γ_c/√(σ²_c + ε) + α_c,
    /// b_c = β_c − μ_c·γ_c/√(σ²_c + ε) (integer-ops.md §6.2).
    /// </summary>
    public static (double[] A, double[] B) Fold(Node node, Tensor?[] inputs, int channels)
    {
        var gamma = PerChannel(node, Input(node, inputs, 1, "scale"), channels, "scale")!;
        var beta = PerChannel(node, Input(node, inputs, 2, "bias"), channels, "bias")!;
        var mean = PerChannel(node, Input(node, inputs, 3, "mean"), channels, "mean")!;
        var var = PerChannel(node, Input(node, inputs, 4, "var"), channels, "var")!;
        var alpha = PerChannel(node, Optional(inputs, 5), channels, "alpha");
        double eps = node.GetFloat("epsilon", 1e-5f);
        var a = new double[channels];
        var b = new double[channels];
        for (int i = 0; i < channels; i++)
        {
            double s = gamma[i] / Math.Sqrt(var[i] + eps);
            a[i] = s + (alpha is null ? 0 : alpha[i]);
            b[i] = beta[i] - mean[i] * s;
        }
        return (a, b);
    }
}
