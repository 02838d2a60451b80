using System.Numerics;

namespace EdgeNorm.Calibration.Autodiff;

/// <summary>
/// The forward and reverse-mode rule of one node, in element type <typeparamref name="T"/> (float32 for calibration,
/// float64 for gradient checks). Created per node by <see cref="GradOps"/> once the shapes are known. An instance may
/// keep what its backward needs from the last forward (e.g. softmax probabilities), so a tape runs on one thread.
/// </summary>
public abstract class GradOp<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>
    /// Computes the outputs. <paramref name="inputs"/> holds every float input in T (constants converted once by the
    /// tape); integer inputs and omitted ones are null (ops read integer constants from <see cref="GradNode"/>).
    /// </summary>
    public abstract T[][] Forward(T[]?[] inputs);

    /// <summary>
    /// Adds ∂L/∂input to <paramref name="dInputs"/>[i] for every active input (null for constants), given
    /// ∂L/∂output in <paramref name="dOutputs"/> (null for an output no gradient reached). Always accumulates:
    /// an input may appear twice (x·x) and then both slots are the same buffer.
    /// </summary>
    public abstract void Backward(T[]?[] inputs, T[][] outputs, T[]?[] dOutputs, T[]?[] dInputs);

    protected static T Of(double v) => T.CreateTruncating(v);
    protected static double D(T v) => double.CreateTruncating(v);
}
