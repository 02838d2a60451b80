namespace EdgeNorm.Runtime.Numerics.Offline;

/// <summary>An i-GELU parameter set with the real scale of its int32 output.</summary>
public readonly record struct IntGeluBuild(IntGeluParameters Parameters, double OutputScale);

/// <summary>A ShiftGELU parameter set with the real scale of its int32 output.</summary>
public readonly record struct ShiftGeluBuild(ShiftGeluParameters Parameters, double OutputScale);

/// <summary>Offline (floating point): parameters of the integer GELU forms (docs/numerics.md §7).</summary>
public static class IntGeluBuilder
{
    /// <summary>I-BERT's constants: erf(t) ≈ sgn(t)·[a·(min(|t|, −b) + b)² + 1], √2 written as 1.4142.</summary>
    public const double A = -0.2888, B = -1.769, Sqrt2 = 1.4142;

    /// <summary>Fraction bits the post-shift keeps in the erf term by default: |Cq| &gt;&gt; n in [2^15, 2^16).</summary>
    public const int DefaultPrecisionBits = 16;

    /// <summary>
    /// i-GELU for an input at scale s whose codes satisfy |q| ≤ <paramref name="maxAbsInput"/>. The post-shift
    /// n is the smallest that (1) leaves |Cq| &gt;&gt; n below 2^<paramref name="precisionBits"/> and (2) keeps
    /// <c>maxAbsInput·(|y| + |One|)</c> inside int32; pass <paramref name="postShift"/> to force one (I-BERT: 14).
    /// </summary>
    public static IntGeluBuild Build(double inputScale, int maxAbsInput, int? postShift = null, int precisionBits = DefaultPrecisionBits)
    {
        if (!(inputScale > 0) || double.IsInfinity(inputScale))
            throw new ArgumentOutOfRangeException(nameof(inputScale), inputScale, "the input scale must be finite and positive");
        if (maxAbsInput < 1)
            throw new ArgumentOutOfRangeException(nameof(maxAbsInput), maxAbsInput, "the input bound must be positive");
        double sp = inputScale / Sqrt2;
        double bq = Math.Floor(B / sp);
        double cq = Math.Floor(1.0 / A / (sp * sp));
        if (bq < -2147483648.0 || cq < -4611686018427387904.0)
            throw new ArgumentOutOfRangeException(nameof(inputScale), inputScale, "the input scale is too fine for i-GELU");
        long absC = -(long)cq;
        int n;
        if (postShift is int forced)
        {
            n = forced;
        }
        else
        {
            n = Math.Max(0, 64 - System.Numerics.BitOperations.LeadingZeroCount((ulong)absC) - precisionBits);
            while (n < 62 && (double)maxAbsInput * (2.0 * ((absC >> n) + 1) + 1) > int.MaxValue) n++;
        }
        double sErf = A * sp * sp * Math.ScaleB(1.0, n); // negative
        double one = Math.Floor(1.0 / sErf);
        if (one < -2147483648.0)
            throw new ArgumentOutOfRangeException(nameof(postShift), n, "the post-shift leaves the integer 1.0 beyond 2^31");
        var p = new IntGeluParameters((long)bq, (long)cq, n, (long)one);
        return new IntGeluBuild(p, inputScale * -sErf / 2);
    }

    /// <summary>
    /// ShiftGELU for an int8 input at scale s: shift-exp at 1.702·s with the largest N ≤ 23 that fits, and
    /// σ with <paramref name="sigmoidBits"/> fraction bits (I-ViT: 7). Output scale <c>s·2^-bits</c>.
    /// </summary>
    public static ShiftGeluBuild BuildShift(double inputScale, int sigmoidBits = 15)
    {
        double sSig = 1.702 * inputScale;
        var exp = IntExpBuilder.Shift(sSig, IntExpBuilder.LargestShiftExpN(sSig, 23));
        return new ShiftGeluBuild(new ShiftGeluParameters(exp, sigmoidBits), Math.ScaleB(inputScale, -sigmoidBits));
    }
}
