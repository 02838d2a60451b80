using System.Numerics.Tensors;
using EdgeNorm.Calibration.Float.Ops;
using EdgeNorm.Model.Ir;
using static EdgeNorm.Calibration.Float.Fused.FusedKernel;
using Tensor = EdgeNorm.Model.Ir.Tensor;

namespace EdgeNorm.Calibration.Float.Fused;

/// <summary>
/// edgenorm.Gelu(X) → Y, elementwise. Attribute approximate: "none" (default) = 0.5·x·(1 + erf(x/√2));
/// "tanh" = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). Evaluated in float32 in the order torch 1.13 exports
/// (nn.GELU: <c>x/√2 → Erf → +1 → ·x → ·0.5</c>; approximate="tanh": <c>x·x·x → ·0.044715 → +x → ·√(2/π) →
/// Tanh → +1 → ·x → ·0.5</c>) with the executor's Erf and Tanh, so a fused torch GELU gives the same bits as
/// the unfused one (other association orders differ by an ulp).
/// </summary>
public sealed class GeluOp : IFloatOp
{
    public string Domain => Node.EdgeNormDomain;
    public string OpType => "Gelu";

    private const float Sqrt2 = 1.41421356f;
    private const float SqrtTwoOverPi = 0.797884561f;
    private const float Cubic = 0.044715f;

    public Tensor[] Forward(OpContext context, Node node, Tensor?[] inputs)
    {
        var x = Input(node, inputs, 0, "X");
        var xf = Floats(node, x, "X");
        string form = node.GetString("approximate") ?? "none";
        var y = new float[xf.Length];
        switch (form)
        {
            case "none":
                for (int i = 0; i < xf.Length; i++)
                {
                    float e = (float)ErfOp.Erf(xf[i] / Sqrt2);
                    y[i] = xf[i] * (e + 1f) * 0.5f;
                }
                break;
            case "tanh":
                for (int i = 0; i < xf.Length; i++)
                {
                    float v = xf[i];
                    y[i] = SqrtTwoOverPi * (v + Cubic * (v * (v * v)));
                }
                TensorPrimitives.Tanh(y, y); // over the whole tensor, as the Tanh op runs
                for (int i = 0; i < xf.Length; i++) y[i] = 0.5f * (xf[i] * (1f + y[i]));
                break;
            default:
                throw Error(node, $"approximate must be \"none\" or \"tanh\", got \"{form}\"");
        }
        return [Tensor.FromFloats((int[])x.Shape.Clone(), y)];
    }
}
