using System.Numerics;
using System.Numerics.Tensors;

namespace EdgeNorm.Calibration.Autodiff.Ops;

/// <summary>∂b of a bias added to every row: the column sums of ∂Y [rows, n].</summary>
internal static class BiasGradient
{
    public static void Add<T>(T[] dy, T[] db, int rows, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int r = 0; r < rows; r++) TensorPrimitives.Add(db, dy.AsSpan(r * n, n), db);
    }
}
