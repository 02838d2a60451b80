using EdgeNorm.Model.Ir;

namespace EdgeNorm.Calibration.Calibrators;

/// <summary>A calibrated range of one tensor (for the symmetric quantiser only <see cref="MaxAbs"/> matters).</summary>
public readonly record struct Range(float Min, float Max)
{
    /// <summary>max(|min|, |max|).</summary>
    public float MaxAbs => Math.Max(Math.Abs(Min), Math.Abs(Max));
}

/// <summary>The ranges a quantiser reads, by float tensor name.</summary>
public interface IRangeSource
{
    /// <summary>The calibrated range of a tensor.</summary>
    Range Get(string name);

    /// <summary>
    /// The calibrated range of a tensor stored as <paramref name="dtype"/> (int8 or int16): clipping calibrators
    /// (entropy, MSE) choose the clip for the number of levels the tensor gets.
    /// </summary>
    Range Get(string name, DataType dtype) => Get(name);
}
