namespace EdgeNorm.Runtime.Numerics;

/// <summary>
/// A positive real ratio represented as <c>m / 2^k</c> with <c>2^30 ≤ m &lt; 2^31</c> and <c>1 ≤ k ≤ 62</c>
/// (docs/numerics.md §2). Covers ratios in <c>[2^-32, 2^30)</c> with relative error ≤ 2^-31; applied to an int32
/// with the one rounding rule of <see cref="Requantizer.Scale(int, DyadicMultiplier)"/>. Built offline by
/// <see cref="Offline.DyadicMultiplierBuilder.FromReal"/>; stored in the model as two int32s.
/// </summary>
/// <remarks><c>default(DyadicMultiplier)</c> is not a valid multiplier; <see cref="IsValid"/> says so.</remarks>
public readonly record struct DyadicMultiplier
{
    /// <summary>Smallest mantissa, 2^30.</summary>
    public const int MinMultiplier = 1 << 30;

    /// <summary>Smallest shift. k ≥ 1 keeps the rounding term 2^(k−1) an integer.</summary>
    public const int MinShift = 1;

    /// <summary>Largest shift: with |x| ≤ 2^31 and m &lt; 2^31, x·m + 2^(k−1) stays inside int64.</summary>
    public const int MaxShift = 62;

    /// <summary>The multiplier 1 (m = 2^30, k = 30): maps every int32 to itself.</summary>
    public static DyadicMultiplier One => new(MinMultiplier, 30);

    /// <summary>The mantissa m, in [2^30, 2^31).</summary>
    public int Multiplier { get; }

    /// <summary>The right shift k, in [1, 62].</summary>
    public int Shift { get; }

    /// <summary>Creates the multiplier m/2^k; throws when m or k is outside the ranges above.</summary>
    public DyadicMultiplier(int multiplier, int shift)
    {
        if (multiplier < MinMultiplier)
            throw new ArgumentOutOfRangeException(nameof(multiplier), multiplier, "the dyadic mantissa must be in [2^30, 2^31)");
        if (shift < MinShift || shift > MaxShift)
            throw new ArgumentOutOfRangeException(nameof(shift), shift, "the dyadic shift must be in [1, 62]");
        Multiplier = multiplier;
        Shift = shift;
    }

    /// <summary>True for every multiplier built by the constructor; false for <c>default</c>.</summary>
    public bool IsValid => Multiplier >= MinMultiplier && Shift >= MinShift && Shift <= MaxShift;

    /// <summary>"m/2^k".</summary>
    public override string ToString() => $"{Multiplier}/2^{Shift}";
}
