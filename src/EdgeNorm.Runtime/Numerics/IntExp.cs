using System.Runtime.CompilerServices;

namespace EdgeNorm.Runtime.Numerics;

/// <summary>
/// Integer parameters of I-BERT's i-exp for one input scale s (docs/numerics.md §5.1), computed offline by
/// <see cref="Offline.IntExpBuilder.IBert"/>: <c>X0 = ⌊−0.6931/s⌋</c>, <c>Bq = ⌊(0.96963238/0.35815147)/s⌋</c>,
/// <c>Cq = ⌊(1/0.35815147)/s²⌋</c>, and the dyadic multiplier <see cref="Output"/> that takes the polynomial
/// value P (scale 0.35815147·s²) to the output scale 2^-n, fused with the 2^-z of the octave.
/// </summary>
public readonly record struct IBertExpParameters
{
    /// <summary>Octaves after which the input is clipped (<c>q ≥ 30·X0</c>); the result there is ≈ 2^-30, usually 0 after the output shift.</summary>
    public const int ClipOctaves = 30;

    /// <summary>Integer of −ln 2 at the input scale (negative).</summary>
    public int X0 { get; }

    /// <summary>Linear coefficient at the input scale (positive, ≥ 2·|X0|).</summary>
    public int Bq { get; }

    /// <summary>Constant term at the squared input scale (positive, &lt; 2^31).</summary>
    public int Cq { get; }

    /// <summary>P → output: <c>E = (P·m + 2^(k+z−1)) &gt;&gt; (k + z)</c>.</summary>
    public DyadicMultiplier Output { get; }

    /// <summary>Creates the parameter set; throws when the integers cannot come from a valid scale.</summary>
    public IBertExpParameters(int x0, int bq, int cq, DyadicMultiplier output)
    {
        // X0·30 must fit int32; Bq ≥ 2|X0| makes P increasing on (X0, 0], so 0 < P ≤ Cq < 2^31 there.
        if (x0 >= 0 || x0 < int.MinValue / ClipOctaves)
            throw new ArgumentOutOfRangeException(nameof(x0), x0, "X0 must be negative and 30·X0 must fit int32");
        if (bq < -2L * x0)
            throw new ArgumentOutOfRangeException(nameof(bq), bq, "Bq must be at least 2·|X0|");
        if (cq <= 0 || (long)x0 * (x0 + bq) + cq <= 0)
            throw new ArgumentOutOfRangeException(nameof(cq), cq, "Cq must be positive and keep P > 0 on (X0, 0]");
        if (!output.IsValid)
            throw new ArgumentOutOfRangeException(nameof(output), output, "the output multiplier is not a valid dyadic multiplier");
        X0 = x0;
        Bq = bq;
        Cq = cq;
        Output = output;
    }
}

/// <summary>
/// Integer parameters of I-ViT's shift-exponential for one input scale s (docs/numerics.md §5.2), computed
/// offline by <see cref="Offline.IntExpBuilder.Shift"/>: <c>X0 = ⌊−1/s⌋</c> (the integer of −1.0) and N, which is
/// both the clip (in octaves) and the number of fraction bits of the output: <c>E ≈ e^(q·s)·|X0|·2^N</c>, scale
/// <c>s/2^N</c>.
/// </summary>
public readonly record struct ShiftExpParameters
{
    /// <summary>Integer of −1.0 at the input scale (negative).</summary>
    public int X0 { get; }

    /// <summary>Octaves before clipping and output fraction bits.</summary>
    public int N { get; }

    /// <summary>Creates the parameter set; requires <c>|X0|·2^(N+1) ≤ 2^31</c> so every E fits int32.</summary>
    public ShiftExpParameters(int x0, int n)
    {
        if (n < 0 || n > 30)
            throw new ArgumentOutOfRangeException(nameof(n), n, "N must be in [0, 30]");
        if (x0 >= 0 || -(long)x0 << (n + 1) > 1L << 31)
            throw new ArgumentOutOfRangeException(nameof(x0), x0, "X0 must be negative with |X0|·2^(N+1) ≤ 2^31");
        X0 = x0;
        N = n;
    }

    /// <summary>The exponential of 0, <c>|X0|·2^N</c>: the integer "1.0" of this exponential.</summary>
    public int One => -X0 << N;
}

/// <summary>Integer exponentials of a non-positive input (a logit minus its row maximum).</summary>
public static class IntExp
{
    /// <summary>
    /// The I-BERT decomposition and polynomial (docs/numerics.md §5.1): clip <c>q ≥ 30·X0</c>; <c>z = ⌊q/X0⌋</c>,
    /// <c>r = q − X0·z ∈ (X0, 0]</c>; returns <c>P = r·(r + Bq) + Cq</c> (0 &lt; P ≤ Cq), the value
    /// <c>e^(q·s) ≈ P·0.35815147·s²·2^-z</c>. q must be ≤ 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int IBertPolynomial(int q, in IBertExpParameters p, out int z, out int r)
    {
        int clipped = Math.Max(q, IBertExpParameters.ClipOctaves * p.X0);
        z = clipped / p.X0; // both ≤ 0 / < 0: the quotient is ≥ 0, so truncation is the floor
        r = clipped - p.X0 * z;
        return (int)((long)r * (r + p.Bq) + p.Cq);
    }

    /// <summary>
    /// I-BERT i-exp with the fused output shift: <c>E = Scale(P; m, k + z)</c>, i.e. the one rounding rule
    /// with the octave's 2^-z folded into the shift (0 when k + z ≥ 63). q must be ≤ 0; E ≥ 0.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int IBert(int q, in IBertExpParameters p)
    {
        int poly = IBertPolynomial(q, p, out int z, out _);
        return (int)Requantizer.Scale(poly, p.Output.Multiplier, p.Output.Shift + z);
    }

    /// <summary>
    /// I-ViT shift-exp (docs/numerics.md §5.2): <c>x' = q + (q&gt;&gt;1) − (q&gt;&gt;4)</c> (×1.4375 ≈ log2 e),
    /// clip <c>x' ≥ N·X0</c>, <c>z = ⌊x'/X0⌋</c>, <c>r = x' − X0·z</c>, and
    /// <c>E = ((r − 2·X0) &lt;&lt; (N − z)) &gt;&gt; 1 = ⌊(r/2 − X0)·2^(N−z)⌋</c> (the PyTorch reference, which keeps r/2
    /// exact). q must be ≤ 0; 0 &lt; E ≤ |X0|·2^N.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Shift(int q, in ShiftExpParameters p)
    {
        long x = q;
        x = x + (x >> 1) - (x >> 4);
        x = Math.Max(x, (long)p.N * p.X0);
        int z = (int)(x / p.X0);
        long r = x - (long)p.X0 * z;
        return (int)(((r - 2L * p.X0) << (p.N - z)) >> 1);
    }
}
