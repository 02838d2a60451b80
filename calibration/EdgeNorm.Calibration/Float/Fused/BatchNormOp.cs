using EdgeNorm.Model.Ir;
using static EdgeNorm.Calibration.Float.Fused.FusedKernel;

namespace EdgeNorm.Calibration.Float.Fused;

/// <summary>
/// edgenorm.BatchNorm(X[N, C, …], γ[C], β[C], μ[C], σ²[C]) → Y: inference batch normalisation over
/// channel axis 1, y = (x − μ_c)·γ_c/√(σ²_c + ε) + β_c = x·s_c + t_c. Attribute epsilon. Evaluated as
/// the ONNX BatchNormalization op of the float executor (s, t and y in float32).
/// </summary>
public sealed class BatchNormOp : IFloatOp
{
    public string Domain => Node.EdgeNormDomain;
    public string OpType => "BatchNorm";

    public Tensor[] Forward(OpContext context, Node node, Tensor?[] inputs)
    {
        var x = Input(node, inputs, 0, "X");
        if (x.Rank < 2) throw Error(node, $"X must be [N,C,…], got {ShapeText(x.Shape)}");
        int c = x.Shape[1];
        var (scale, shift) = Affine(node, inputs, c, 1);
        int inner = 1;
        for (int a = 2; a < x.Rank; a++) inner *= x.Shape[a];
        var xf = Floats(node, x, "X");
        var y = new float[xf.Length];
        for (int i = 0; i < xf.Length; i++)
        {
            int ch = i / inner % c;
            y[i] = xf[i] * scale[ch] + shift[ch];
        }
        return [Tensor.FromFloats((int[])x.Shape.Clone(), y)];
    }

    /// <summary>
    /// The per-channel inference affine of BN inputs γ, β, μ, σ² at inputs[first..first+3], in float32 as the
    /// ONNX op computes it: s_c = γ_c·(1/√(σ²_c + ε)), t_c = β_c − μ_c·s_c.
    /// </summary>
    internal static (float[] Scale, float[] Shift) Affine(Node node, Tensor?[] inputs, int c, int first)
    {
        var gamma = PerChannel(node, Input(node, inputs, first, "scale"), c, "scale")!;
        var beta = PerChannel(node, Input(node, inputs, first + 1, "bias"), c, "bias")!;
        var mean = PerChannel(node, Input(node, inputs, first + 2, "mean"), c, "mean")!;
        var var = PerChannel(node, Input(node, inputs, first + 3, "var"), c, "var")!;
        float eps = node.GetFloat("epsilon", 1e-5f);
        var scale = new float[c];
        var shift = new float[c];
        for (int i = 0; i < c; i++)
        {
            float inv = 1f / MathF.Sqrt(var[i] + eps);
            scale[i] = gamma[i] * inv;
            shift[i] = beta[i] - mean[i] * scale[i];
        }
        return (scale, shift);
    }
}
