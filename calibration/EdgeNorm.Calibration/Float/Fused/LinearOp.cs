using System.Runtime.CompilerServices;
using EdgeNorm.Calibration.Float.Kernels;
using EdgeNorm.Model.Ir;
using static EdgeNorm.Calibration.Float.Fused.FusedKernel;

namespace EdgeNorm.Calibration.Float.Fused;

/// <summary>
/// edgenorm.Linear(X[…, K], W[N, K], b[N]?) → Y[…, N], Y = X·Wᵀ + b. The weight is stored with one row
/// per output (torch's nn.Linear layout), the layout the integer GEMM packs. Evaluated as the ONNX
/// <c>MatMul</c> + <c>Add</c> it replaces: the executor's <see cref="MatMulKernel"/> (float32, k order) on
/// Wᵀ, then the bias, so fused and unfused graphs give the same bits.
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
        int rows = k == 0 ? 0 : (int)(x.Length / k);
        MatMulKernel.Multiply(Floats(node, x, "X"), 0, false, Transposed(Floats(node, w, "W"), n, k), 0, false, y, 0, rows, k, n);
        if (bias is not null) AddRowVector(y, bias);
        return [Tensor.FromFloats(outShape, y)];
    }

    private static readonly ConditionalWeakTable<float[], float[]> TransposeCache = new();

    /// <summary>Wᵀ [K, N] of a weight W [N, K], computed once per weight array.</summary>
    internal static float[] Transposed(float[] w, int n, int k) =>
        TransposeCache.GetValue(w, a =>
        {
            var t = new float[a.Length];
            for (int r = 0; r < n; r++)
                for (int c = 0; c < k; c++)
                    t[c * n + r] = a[r * k + c];
            return t;
        });

    /// <summary>y[m, j] += b[j] for every row m.</summary>
    internal static void AddRowVector(float[] y, float[] b)
    {
        int n = b.Length;
        for (int o = 0; o < y.Length; o += n)
            System.Numerics.Tensors.TensorPrimitives.Add(y.AsSpan(o, n), b, y.AsSpan(o, n));
    }
}
