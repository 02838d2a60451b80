using System.Numerics.Tensors;
using Tensor = EdgeNorm.Model.Ir.Tensor;

namespace EdgeNorm.Calibration.Float.Kernels;

/// <summary>
/// Float32 matrix products, row-major, accumulated in float32 in k order (the straightforward way, close to
/// what ONNX Runtime's MLAS does). Rows are computed independently, so splitting them over threads gives the
/// same bits as running on one.
/// </summary>
public static class MatMulKernel
{
    /// <summary>Work (M·N·K) above which rows are spread over threads.</summary>
    public const long ParallelThreshold = 1L << 21;

    /// <summary>C[M,N] = A[M,K] · B[K,N] (or Bᵀ when <paramref name="transB"/>: B is [N,K]); C is overwritten.</summary>
    public static void Multiply(ReadOnlySpan<float> a, int aOffset, bool transA, ReadOnlySpan<float> b, int bOffset, bool transB,
        Span<float> c, int cOffset, int m, int k, int n)
    {
        var A = a.Slice(aOffset, m * k);
        var B = b.Slice(bOffset, k * n);
        var C = c.Slice(cOffset, m * n);
        for (int i = 0; i < m; i++) Row(A, transA, B, transB, C.Slice(i * n, n), i, m, k, n);
    }

    /// <summary>Array form of <see cref="Multiply"/> that may use several threads for large products.</summary>
    public static void Multiply(float[] a, int aOffset, bool transA, float[] b, int bOffset, bool transB,
        float[] c, int cOffset, int m, int k, int n)
    {
        if ((long)m * k * n < ParallelThreshold || m < 2 || Environment.ProcessorCount < 2)
        {
            Multiply(a.AsSpan(), aOffset, transA, b.AsSpan(), bOffset, transB, c.AsSpan(), cOffset, m, k, n);
            return;
        }
        Parallel.For(0, m, i =>
        {
            var A = a.AsSpan(aOffset, m * k);
            var B = b.AsSpan(bOffset, k * n);
            Row(A, transA, B, transB, c.AsSpan(cOffset + i * n, n), i, m, k, n);
        });
    }

    private static void Row(ReadOnlySpan<float> A, bool transA, ReadOnlySpan<float> B, bool transB, Span<float> crow, int i, int m, int k, int n)
    {
        if (transB)
        {
            if (!transA)
            {
                var arow = A.Slice(i * k, k);
                for (int j = 0; j < n; j++) crow[j] = Dot(arow, B.Slice(j * k, k));
            }
            else
            {
                for (int j = 0; j < n; j++)
                {
                    float s = 0;
                    for (int p = 0; p < k; p++) s += A[p * m + i] * B[j * k + p];
                    crow[j] = s;
                }
            }
            return;
        }
        crow.Clear();
        if (n < 16)
        {
            for (int p = 0; p < k; p++)
            {
                float av = transA ? A[p * m + i] : A[i * k + p];
                var brow = B.Slice(p * n, n);
                for (int j = 0; j < crow.Length; j++) crow[j] += av * brow[j];
            }
            return;
        }
        for (int p = 0; p < k; p++)
        {
            float av = transA ? A[p * m + i] : A[i * k + p];
            TensorPrimitives.MultiplyAdd(B.Slice(p * n, n), av, crow, crow);
        }
    }

    private static float Dot(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        float s = 0;
        for (int i = 0; i < x.Length; i++) s += x[i] * y[i];
        return s;
    }
}
