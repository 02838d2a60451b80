namespace EdgeNorm.Runtime.Numerics.Offline;

/// <summary>
/// Offline (quantiser-side, floating point): turns a real scale ratio into a <see cref="DyadicMultiplier"/>
/// (docs/numerics.md §2). Nothing here runs at inference.
/// </summary>
public static class DyadicMultiplierBuilder
{
    /// <summary>Smallest ratio accepted, 2^-32 (below it every int32 input rounds to 0).</summary>
    public const double MinRatio = 1.0 / 4294967296.0;

    /// <summary>Ratios must be below 2^30 (k ≥ 1 without a left shift).</summary>
    public const double MaxRatioExclusive = 1073741824.0;

    /// <summary>
    /// <c>r = f·2^E</c> with <c>f ∈ [0.5, 1)</c> (frexp); <c>m = ⌊f·2^31 + ½⌋</c> (half up; f·2^31 is exact, so this
    /// is a true round half up), <c>k = 31 − E</c>; when the rounding reaches 2^31 (r within 2^-32 relative
    /// below a power of two) the result is renormalised to <c>m = 2^30, k − 1</c>. Relative error ≤ 2^-31.
    /// Throws for NaN, ±∞, r ≤ 0, r &lt; 2^-32 or r ≥ 2^30 (more exactly: when k would leave [1, 62]).
    /// </summary>
    public static DyadicMultiplier FromReal(double r)
    {
        if (double.IsNaN(r) || double.IsInfinity(r) || r <= 0)
            throw new ArgumentOutOfRangeException(nameof(r), r, "a dyadic multiplier needs a finite positive ratio");
        int e = Math.ILogB(r) + 1;                       // r = f·2^e, f in [0.5, 1)
        double scaled = Math.ScaleB(r, 31 - e);          // f·2^31 in [2^30, 2^31), exact
        long m = (long)Math.Floor(scaled + 0.5);         // exact: scaled has at most 22 fraction bits
        int k = 31 - e;
        if (m == 1L << 31)
        {
            m = 1L << 30;
            k -= 1;
        }
        if (k < DyadicMultiplier.MinShift || k > DyadicMultiplier.MaxShift)
            throw new ArgumentOutOfRangeException(nameof(r), r,
                "the ratio is outside [2^-32, 2^30): below, every int32 input would requantise to 0 (drop or zero the tensor); above, rescale the output");
        return new DyadicMultiplier((int)m, k);
    }

    /// <summary>The real value <c>m/2^k</c> (for reports and tests).</summary>
    public static double ToReal(DyadicMultiplier m) => Math.ScaleB(m.Multiplier, -m.Shift);
}
