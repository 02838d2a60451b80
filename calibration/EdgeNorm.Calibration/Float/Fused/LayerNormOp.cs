using EdgeNorm.Model.Ir;
using static EdgeNorm.Calibration.Float.Fused.FusedKernel;

namespace EdgeNorm.Calibration.Float.Fused;

/// <summary>
/// edgenorm.LayerNorm(X[…, D], γ[D]?, β[D]?) → Y, over the last axis: μ = mean(x), σ² = mean((x − μ)²),
/// y = (x − μ)/√(σ² + ε)·γ + β. Attribute epsilon. An omitted γ is 1, an omitted β is 0. Evaluated as the
/// ONNX LayerNormalization op of the float executor (row statistics in double, normalised value rounded to
/// float, then γ and β in float).
/// </summary>
public sealed class LayerNormOp : IFloatOp
{
    public string Domain => Node.EdgeNormDomain;
    public string OpType => "LayerNorm";

    public Tensor[] Forward(OpContext context, Node node, Tensor?[] inputs)
    {
        var x = Input(node, inputs, 0, "X");
        if (x.Rank < 1) throw Error(node, "X must have at least one axis");
        int d = x.Shape[^1];
        var gamma = PerChannel(node, Optional(inputs, 1), d, "gamma");
        var beta = PerChannel(node, Optional(inputs, 2), d, "beta");
        float eps = node.GetFloat("epsilon", 1e-5f);
        var xf = Floats(node, x, "X");
        var y = new float[xf.Length];
        int rows = d == 0 ? 0 : xf.Length / d;
        For(rows, d * 4L, r =>
        {
            int o = r * d;
            double sum = 0;
            for (int i = 0; i < d; i++) sum += xf[o + i];
            double mean = sum / d;
            double sq = 0;
            for (int i = 0; i < d; i++) sq += (xf[o + i] - mean) * (xf[o + i] - mean);
            double inv = 1.0 / Math.Sqrt(sq / d + eps);
            for (int i = 0; i < d; i++)
            {
                float v = (float)((xf[o + i] - mean) * inv);
                if (gamma is not null) v *= gamma[i];
                y[o + i] = beta is null ? v : v + beta[i];
            }
        });
        return [Tensor.FromFloats((int[])x.Shape.Clone(), y)];
    }
}
