using System.Runtime.CompilerServices;

namespace EdgeNorm.Runtime.Numerics;

/// <summary>
/// Integer parameters of I-BERT's i-GELU for one input scale s (docs/numerics.md §7.1), computed offline by
/// <see cref="Offline.IntGeluBuilder.Build"/>: with <c>s' = s/1.4142</c>, <c>Bq = ⌊−1.769/s'⌋</c>,
/// <c>Cq = ⌊(1/−0.2888)/s'²⌋</c>, the post-shift n and <c>One = ⌊1/(−0.2888·s'²·2^n)⌋</c> (all three negative
/// except n). Output scale <c>s·0.2888·s'²·2^n/2</c>.
/// </summary>
public readonly record struct IntGeluParameters
{
    /// <summary>Clip point of the erf polynomial, −1.769 at scale s' (negative).</summary>
    public long Bq { get; }

    /// <summary>Constant of the erf polynomial, 1/a at scale s'² (negative).</summary>
    public long Cq { get; }

    /// <summary>Post-shift n applied to the erf polynomial (I-BERT fixes 14; chosen per scale here).</summary>
    public int PostShift { get; }

    /// <summary>The integer of 1.0 at the erf scale after the post-shift (negative).</summary>
    public long One { get; }

    /// <summary>Creates the parameter set; throws when an integer is outside its documented range.</summary>
    public IntGeluParameters(long bq, long cq, int postShift, long one)
    {
        if (bq >= 0 || bq < -(1L << 31))
            throw new ArgumentOutOfRangeException(nameof(bq), bq, "Bq must be in [−2^31, 0)");
        if (cq >= 0 || cq < -(1L << 62))
            throw new ArgumentOutOfRangeException(nameof(cq), cq, "Cq must be in [−2^62, 0)");
        if (postShift < 0 || postShift > 62)
            throw new ArgumentOutOfRangeException(nameof(postShift), postShift, "the post-shift must be in [0, 62]");
        if (-cq >> postShift >= 1L << 31)
            throw new ArgumentOutOfRangeException(nameof(postShift), postShift, "|Cq| >> n must be below 2^31");
        if (one >= 0 || one < -(1L << 31))
            throw new ArgumentOutOfRangeException(nameof(one), one, "One must be in [−2^31, 0)");
        Bq = bq;
        Cq = cq;
        PostShift = postShift;
        One = one;
    }
}

/// <summary>
/// Integer parameters of ShiftGELU, <c>x·σ(1.702x)</c> with the shift-exponential and an exact division
/// (docs/numerics.md §7.2): the shift-exp parameters at scale <c>1.702·s</c> and the sigmoid's fraction bits.
/// Output scale <c>s·2^-SigmoidBits</c>.
/// </summary>
public readonly record struct ShiftGeluParameters
{
    /// <summary>Shift-exp parameters at the sigmoid's input scale 1.702·s.</summary>
    public ShiftExpParameters Exp { get; }

    /// <summary>Fraction bits of σ: σ is an integer in [0, 2^SigmoidBits].</summary>
    public int SigmoidBits { get; }

    /// <summary>Creates the parameter set; <paramref name="sigmoidBits"/> in [1, 23].</summary>
    public ShiftGeluParameters(ShiftExpParameters exp, int sigmoidBits)
    {
        if (exp.X0 >= 0)
            throw new ArgumentOutOfRangeException(nameof(exp), exp, "the shift-exp parameters are not initialised");
        if (sigmoidBits < 1 || sigmoidBits > 23)
            throw new ArgumentOutOfRangeException(nameof(sigmoidBits), sigmoidBits, "the sigmoid bits must be in [1, 23]");
        Exp = exp;
        SigmoidBits = sigmoidBits;
    }
}

/// <summary>Integer GELU approximations (the 256-entry table is <see cref="Kernels.Reference.LookupTableReference"/>).</summary>
public static class IntGelu
{
    /// <summary>
    /// I-BERT i-GELU: <c>t = min(|q|, −Bq)</c>, <c>y = sgn(q)·((t + Bq)² + Cq)</c>, <c>y ← y &gt;&gt; n</c> (floor),
    /// output <c>−q·(y + One)</c> saturated to int32 (the sign flip makes the output scale positive; I-BERT
    /// carries a negative scale instead). Output scale <c>s·0.2888·s'²·2^n/2</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int IBert(int q, in IntGeluParameters p)
    {
        long t = Math.Min(Math.Abs((long)q), -p.Bq);
        long poly = (t + p.Bq) * (t + p.Bq) + p.Cq;
        long y = (q > 0 ? poly : q < 0 ? -poly : 0) >> p.PostShift;
        return Saturate.ToInt32(-(long)q * (y + p.One));
    }

    /// <summary>
    /// ShiftGELU with an exact division, per element (no row maximum): <c>e = ShiftExp(−|q|)</c>, <c>u = One</c>
    /// (the exp of 0), <c>σ = ⌊2^b·(q ≥ 0 ? u : e)/(e + u)⌋</c> = σ(1.702·s·q) in [0, 2^b], output <c>q·σ</c>
    /// at scale <c>s·2^-b</c>; |output| ≤ 2^(b+7).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Shift(sbyte q, in ShiftGeluParameters p)
    {
        ShiftExpParameters exp = p.Exp;
        long e = IntExp.Shift(-Math.Abs((int)q), exp);
        long one = exp.One;
        long sigmoid = ((q >= 0 ? one : e) << p.SigmoidBits) / (e + one);
        return (int)(q * sigmoid);
    }
}
