using EdgeNorm.Calibration.Calibrators;
using Range = EdgeNorm.Calibration.Calibrators.Range;
using EdgeNorm.Model.Ir;

namespace EdgeNorm.Calibration.Quantization;

/// <summary>
/// Choices a reconstruction calibrator (MetaAug) made that replace the quantiser's defaults: the int8 weights of a
/// Linear/PatchEmbed (instead of round-to-nearest at the per-channel scale) and the range of an activation (instead of
/// the calibrator's). Null/absent means "use the default", so a model without overrides is unchanged.
/// </summary>
public interface IQuantizationOverrides
{
    /// <summary>
    /// The int8 weights [N·K] to store for <paramref name="node"/>, given the float weights the quantiser is about to
    /// round (after any PRepBN fold) and its per-output-channel scales; null for round-to-nearest.
    /// </summary>
    sbyte[]? Weights(Node node, float[] weights, float[] scales);

    /// <summary>
    /// The range to quantise <paramref name="tensor"/> with as <paramref name="dtype"/>, or null: [−m, m] for a
    /// symmetric tensor; for an asymmetric one (<see cref="Quantizer.AsymmetricTensors"/>) [min, max] with min ≤ 0 ≤ max.
    /// </summary>
    Range? ActivationRange(string tensor, DataType dtype);
}

/// <summary>A range source where the overrides' activation ranges win.</summary>
internal sealed class OverriddenRanges(IRangeSource inner, IQuantizationOverrides overrides) : IRangeSource
{
    public Range Get(string name) => Get(name, DataType.Int8);

    public Range Get(string name, DataType dtype) =>
        overrides.ActivationRange(name, dtype) ?? inner.Get(name, dtype);
}
