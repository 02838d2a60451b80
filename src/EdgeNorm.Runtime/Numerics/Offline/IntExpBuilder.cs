namespace EdgeNorm.Runtime.Numerics.Offline;

/// <summary>Offline (floating point): parameters of the integer exponentials for a given input scale (docs/numerics.md §5).</summary>
public static class IntExpBuilder
{
    /// <summary>I-BERT's −ln 2 constant as written in its code (0.6931, not ln 2).</summary>
    public const double IBertLn2 = 0.6931;

    /// <summary>I-BERT polynomial on (−ln2, 0]: <c>exp(p) ≈ A·p² + B·p + C</c> (coefficients from its code).</summary>
    public const double IBertA = 0.35815147, IBertB = 0.96963238, IBertC = 1.0;

    /// <summary>
    /// I-BERT i-exp at input scale s with the output at scale 2^-n (<c>E ≈ e^(q·s)·2^n</c>):
    /// <c>X0 = ⌊−0.6931/s⌋</c>, <c>Bq = ⌊(B/A)/s⌋</c>, <c>Cq = ⌊(C/A)/s²⌋</c>, output multiplier <c>A·s²·2^n</c>.
    /// Needs Cq &lt; 2^31 (s ≥ about 2^-14.7). n = 15 feeds the linear softmax, n = 30 the log2 codes.
    /// </summary>
    public static IBertExpParameters IBert(double inputScale, int outputFractionBits)
    {
        if (!(inputScale > 0) || double.IsInfinity(inputScale))
            throw new ArgumentOutOfRangeException(nameof(inputScale), inputScale, "the input scale must be finite and positive");
        if (outputFractionBits < 0 || outputFractionBits > 30)
            throw new ArgumentOutOfRangeException(nameof(outputFractionBits), outputFractionBits, "output fraction bits must be in [0, 30]");
        double x0 = Math.Floor(-IBertLn2 / inputScale);
        double bq = Math.Floor(IBertB / IBertA / inputScale);
        double cq = Math.Floor(IBertC / IBertA / (inputScale * inputScale));
        if (x0 < int.MinValue / IBertExpParameters.ClipOctaves || cq >= int.MaxValue)
            throw new ArgumentOutOfRangeException(nameof(inputScale), inputScale,
                "the input scale is too fine for the int32 i-exp (needs 2.79/s² < 2^31, i.e. s ≥ 2^-14.7)");
        var output = DyadicMultiplierBuilder.FromReal(IBertA * inputScale * inputScale * Math.ScaleB(1.0, outputFractionBits));
        return new IBertExpParameters((int)x0, (int)bq, (int)cq, output);
    }

    /// <summary>The real value of one unit of the i-exp's polynomial P: <c>A·s²</c>.</summary>
    public static double IBertPolynomialScale(double inputScale) => IBertA * inputScale * inputScale;

    /// <summary>
    /// I-ViT shift-exp at input scale s: <c>X0 = ⌊−1/s⌋</c> and N (I-ViT: 15 in PyTorch, 16 in TVM, 23 inside
    /// ShiftGELU). Output scale <c>s/2^N</c>.
    /// </summary>
    public static ShiftExpParameters Shift(double inputScale, int n)
    {
        if (!(inputScale > 0) || double.IsInfinity(inputScale))
            throw new ArgumentOutOfRangeException(nameof(inputScale), inputScale, "the input scale must be finite and positive");
        double x0 = Math.Floor(-1.0 / inputScale);
        if (x0 < int.MinValue)
            throw new ArgumentOutOfRangeException(nameof(inputScale), inputScale, "the input scale is too fine for the shift-exp");
        return new ShiftExpParameters((int)x0, n);
    }

    /// <summary>Largest N ≤ <paramref name="cap"/> with <c>|X0|·2^(N+1) ≤ 2^31</c> for scale s.</summary>
    public static int LargestShiftExpN(double inputScale, int cap)
    {
        double x0 = -Math.Floor(-1.0 / inputScale);
        int n = Math.Min(cap, 30);
        while (n > 0 && x0 * Math.ScaleB(1.0, n + 1) > 2147483648.0) n--;
        return n;
    }
}
