using System.Numerics;
using System.Numerics.Tensors;

namespace EdgeNorm.Calibration.Autodiff;

/// <summary>
/// The matrix products of forward and backward rules, generic in the element type and vectorised through
/// <see cref="TensorPrimitives"/>: C[m,n] += op(A)·op(B), row-major. Single-threaded on purpose: tapes are small
/// (a calibration batch) and results must not depend on the machine.
/// </summary>
public static class Gemm
{
    /// <summary>
    /// C[m,n] += A·B where A is [m,k] (or [k,m] stored, when <paramref name="transA"/>) and B is [k,n]
    /// (or [n,k] stored, when <paramref name="transB"/>).
    /// </summary>
    public static void MultiplyAdd<T>(ReadOnlySpan<T> a, bool transA, ReadOnlySpan<T> b, bool transB, Span<T> c, int m, int k, int n)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (transA && transB) throw new ArgumentException("Aᵀ·Bᵀ is not needed by any rule");
        if (transB)
        {
            for (int i = 0; i < m; i++)
            {
                var arow = a.Slice(i * k, k);
                var crow = c.Slice(i * n, n);
                for (int j = 0; j < n; j++) crow[j] += TensorPrimitives.Dot(arow, b.Slice(j * k, k));
            }
            return;
        }
        if (transA)
        {
            // Aᵀ·B: row p of A scatters into every row of C, so walk p outermost (B's rows stay contiguous).
            for (int p = 0; p < k; p++)
            {
                var brow = b.Slice(p * n, n);
                for (int i = 0; i < m; i++)
                {
                    T av = a[p * m + i];
                    if (av != T.Zero) TensorPrimitives.MultiplyAdd(brow, av, c.Slice(i * n, n), c.Slice(i * n, n));
                }
            }
            return;
        }
        for (int i = 0; i < m; i++)
        {
            var crow = c.Slice(i * n, n);
            for (int p = 0; p < k; p++)
            {
                T av = a[i * k + p];
                if (av != T.Zero) TensorPrimitives.MultiplyAdd(b.Slice(p * n, n), av, crow, crow);
            }
        }
    }
}
