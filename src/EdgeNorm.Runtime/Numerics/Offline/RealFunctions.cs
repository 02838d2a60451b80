namespace EdgeNorm.Runtime.Numerics.Offline;

/// <summary>
/// Offline (floating point) real functions the quantiser tabulates: erf, GELU (exact and tanh form),
/// sigmoid, tanh. Accurate to a few ulps, so a table entry differs from the correctly rounded one only
/// when the real value lies within ~1e-15 of a rounding boundary.
/// </summary>
public static class RealFunctions
{
    private const double TwoOverSqrtPi = 1.1283791670955126;
    private const double InvSqrt2 = 0.7071067811865476;
    private const double SqrtTwoOverPi = 0.7978845608028654;

    /// <summary>
    /// erf(x) from the all-positive series <c>erf(x) = (2/√π)·e^(−x²)·Σ_n 2^n·x^(2n+1)/(1·3·…·(2n+1))</c>
    /// (no cancellation; ~2x² + 40 terms), ±1 for |x| ≥ 6 (erfc(6) ≈ 2e-17).
    /// </summary>
    public static double Erf(double x)
    {
        if (double.IsNaN(x)) return double.NaN;
        double ax = Math.Abs(x);
        if (ax >= 6) return Math.Sign(x);
        double x2 = ax * ax;
        double term = ax, sum = ax;
        for (int n = 1; n < 400; n++)
        {
            term *= 2 * x2 / (2 * n + 1);
            sum += term;
            if (term < sum * 1e-17) break;
        }
        double r = TwoOverSqrtPi * Math.Exp(-x2) * sum;
        return x < 0 ? -r : r;
    }

    /// <summary>GELU(x) = x·Φ(x) = ½·x·(1 + erf(x/√2)).</summary>
    public static double Gelu(double x) => 0.5 * x * (1 + Erf(x * InvSqrt2));

    /// <summary>GELU's tanh form (ONNX Gelu approximate="tanh"): ½·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).</summary>
    public static double GeluTanh(double x) => 0.5 * x * (1 + Math.Tanh(SqrtTwoOverPi * (x + 0.044715 * x * x * x)));

    /// <summary>σ(x) = 1/(1 + e^−x), evaluated without overflow on either side.</summary>
    public static double Sigmoid(double x)
    {
        if (x >= 0) return 1 / (1 + Math.Exp(-x));
        double e = Math.Exp(x);
        return e / (1 + e);
    }

    /// <summary>tanh(x).</summary>
    public static double Tanh(double x) => Math.Tanh(x);
}
