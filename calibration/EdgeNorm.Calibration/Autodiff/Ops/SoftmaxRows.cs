using System.Numerics;
using System.Numerics.Tensors;

namespace EdgeNorm.Calibration.Autodiff.Ops;

/// <summary>The softmax of one row and its vector-Jacobian product — shared by Softmax and Attention.</summary>
internal static class SoftmaxRows
{
    /// <summary>v ← softmax(v), max-subtracted.</summary>
    public static void Forward<T>(Span<T> v) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T max = TensorPrimitives.Max<T>(v);
        if (T.IsNegativeInfinity(max)) max = T.Zero;
        TensorPrimitives.Subtract(v, max, v);
        TensorPrimitives.Exp<T>(v, v);
        TensorPrimitives.Divide(v, TensorPrimitives.Sum<T>(v), v);
    }

    /// <summary>ds += p ⊙ (dp − ⟨dp, p⟩), the backward of p = softmax(s).</summary>
    public static void Backward<T>(ReadOnlySpan<T> p, ReadOnlySpan<T> dp, Span<T> ds) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T dot = TensorPrimitives.Dot(dp, p);
        for (int j = 0; j < p.Length; j++) ds[j] += p[j] * (dp[j] - dot);
    }
}
