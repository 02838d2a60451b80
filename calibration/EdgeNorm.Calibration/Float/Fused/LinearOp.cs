using System.Numerics.Tensors;
using Tensor = EdgeNorm.Model.Ir.Tensor;
using EdgeNorm.Model.Ir;
using static EdgeNorm.Calibration.Float.Fused.FusedKernel;

namespace EdgeNorm.Calibration.Float.Fused;

/// <summary>
/// edgenorm.Linear(X[…, K], W[N, K], b[N]?) → Y[…, N], Y = X·Wᵀ + b. The weight is stored with one row
/// per output (torch's nn.Linear layout), the layout the integer GEMM packs.
/// </summary>
public sealed class LinearOp : IFloatOp
{
    public string Domain => Node.EdgeNormDomain;
    public string OpType => "Linear";

    public Tensor[] Forward(OpContext context, Node node, Tensor?[] inputs)
    {
        var x = Input(node, inputs, 0, "X");
        var w = Input(node, inputs, 1, "W");
        if (w.Rank != 2) throw Error(node, $"W must be [N,K], got {ShapeText(w.Shape)}");
        int n = w.Shape[0], k = w.Shape[1];
        if (x.Rank < 1 || x.Shape[^1] != k)
            throw Error(node, $"X {ShapeText(x.Shape)} does not end in K = {k} (W is {ShapeText(w.Shape)})");
        var bias = PerChannel(node, Optional(inputs, 2), n, "bias");
        var outShape = (int[])x.Shape.Clone();
        outShape[^1] = n;
        var y = new float[Tensor.ElementCount(outShape)];
        Run(Floats(node, x, "X"), Floats(node, w, "W"), bias, y, (int)(x.Length / Math.Max(k, 1)), n, k);
        return [Tensor.FromFloats(outShape, y)];
    }

    /// <summary>y[m, n] = Σ_k x[m, k]·w[n, k] + b[n] for m rows.</summary>
    internal static void Run(float[] x, float[] w, float[]? bias, float[] y, int rows, int n, int k)
    {
        const int Block = 16;
        int blocks = (rows + Block - 1) / Block;
        For(blocks, (long)Block * n * k, blk =>
        {
            int end = Math.Min(rows, (blk + 1) * Block);
            for (int m = blk * Block; m < end; m++)
            {
                var xr = new ReadOnlySpan<float>(x, m * k, k);
                var yr = new Span<float>(y, m * n, n);
                for (int j = 0; j < n; j++)
                    yr[j] = TensorPrimitives.Dot(xr, new ReadOnlySpan<float>(w, j * k, k)) + (bias is null ? 0f : bias[j]);
            }
        });
    }
}
