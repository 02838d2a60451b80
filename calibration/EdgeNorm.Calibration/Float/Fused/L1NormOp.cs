using EdgeNorm.Model.Ir;
using static EdgeNorm.Calibration.Float.Fused.FusedKernel;

namespace EdgeNorm.Calibration.Float.Fused;

/// <summary>
/// edgenorm.L1Norm(X[…, D], γ[D]?, β[D]?) → Y, over the last axis: μ = mean(x), c = x − μ,
/// MAD = mean(|c|), y = c/(k·MAD + ε)·γ + β. Attributes epsilon (ε) and mad_scale (k, default 1).
/// An omitted γ is 1, an omitted β is 0. Evaluated in float32 step by step as the exported graph
/// (ReduceMean → Sub → Abs → ReduceMean → ·k → +ε → Div → ·γ → +β, means summed in double).
/// </summary>
public sealed class L1NormOp : IFloatOp
{
    public string Domain => Node.EdgeNormDomain;
    public string OpType => "L1Norm";

    public Tensor[] Forward(OpContext context, Node node, Tensor?[] inputs)
    {
        var x = Input(node, inputs, 0, "X");
        if (x.Rank < 1) throw Error(node, "X must have at least one axis");
        int d = x.Shape[^1];
        var gamma = PerChannel(node, Optional(inputs, 1), d, "gamma");
        var beta = PerChannel(node, Optional(inputs, 2), d, "beta");
        float eps = node.GetFloat("epsilon", 0f);
        float k = node.GetFloat("mad_scale", 1f);
        var xf = Floats(node, x, "X");
        var y = new float[xf.Length];
        int rows = d == 0 ? 0 : xf.Length / d;
        For(rows, d * 4L, r =>
        {
            int o = r * d;
            double sum = 0;
            for (int i = 0; i < d; i++) sum += xf[o + i];
            float mean = (float)(sum / d);
            double abs = 0;
            for (int i = 0; i < d; i++) abs += MathF.Abs(xf[o + i] - mean);
            float den = (float)(abs / d) * k + eps;
            for (int i = 0; i < d; i++)
            {
                float v = (xf[o + i] - mean) / den;
                if (gamma is not null) v *= gamma[i];
                y[o + i] = beta is null ? v : v + beta[i];
            }
        });
        return [Tensor.FromFloats((int[])x.Shape.Clone(), y)];
    }
}
