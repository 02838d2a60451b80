using System.Numerics;

namespace EdgeNorm.Calibration.Autodiff;

/// <summary>
/// A function applied to a tensor on some of its edges (<see cref="Tape{T}.SetEdgeTransform"/>), e.g. fake
/// quantisation of a matmul's input. May keep what its backward needs from the last forward.
/// </summary>
public interface IEdgeTransform<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>y = f(x), a new array.</summary>
    T[] Forward(T[] x);

    /// <summary>Adds ∂L/∂x to <paramref name="dx"/> given x and ∂L/∂y.</summary>
    void Backward(T[] x, T[] dy, T[] dx);
}
