using System.Numerics;

namespace EdgeNorm.Calibration.Autodiff;

/// <summary>
/// A function applied in place to each row of softmax probabilities inside an attention (fake quantisation of the
/// probabilities, e.g. log√2 codes); backward passes straight through (<see cref="Tape{T}.SetProbabilityTransform"/>).
/// </summary>
public interface IRowTransform<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    void Apply(Span<T> row);
}
