using EdgeNorm.Calibration.Float.Ops;
using EdgeNorm.Model.Ir;
using static EdgeNorm.Calibration.Float.Fused.FusedKernel;

namespace EdgeNorm.Calibration.Float.Fused;

/// <summary>
/// edgenorm.Gelu(X) → Y, elementwise. Attribute approximate: "none" (default) = 0.5·x·(1 + erf(x/√2));
/// "tanh" = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). Evaluated in double (erf: the ONNX Erf op's
/// series), rounded once.
/// </summary>
public sealed class GeluOp : IFloatOp
{
    public string Domain => Node.EdgeNormDomain;
    public string OpType => "Gelu";

    public Tensor[] Forward(OpContext context, Node node, Tensor?[] inputs)
    {
        var x = Input(node, inputs, 0, "X");
        var xf = Floats(node, x, "X");
        string form = node.GetString("approximate") ?? "none";
        var y = new float[xf.Length];
        switch (form)
        {
            case "none":
                For(xf.Length / 4096 + 1, 4096 * 32, c =>
                {
                    int end = Math.Min(xf.Length, (c + 1) * 4096);
                    for (int i = c * 4096; i < end; i++) y[i] = (float)Erf(xf[i]);
                });
                break;
            case "tanh":
                for (int i = 0; i < xf.Length; i++) y[i] = (float)Tanh(xf[i]);
                break;
            default:
                throw Error(node, $"approximate must be \"none\" or \"tanh\", got \"{form}\"");
        }
        return [Tensor.FromFloats((int[])x.Shape.Clone(), y)];
    }

    internal static double Erf(double x) => 0.5 * x * (1.0 + ErfOp.Erf(x / Math.Sqrt(2.0)));

    internal static double Tanh(double x) => 0.5 * x * (1.0 + Math.Tanh(Math.Sqrt(2.0 / Math.PI) * (x + 0.044715 * x * x * x)));
}
