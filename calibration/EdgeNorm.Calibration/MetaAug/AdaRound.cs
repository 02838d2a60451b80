namespace EdgeNorm.Calibration.MetaAug;

/// <summary>
/// AdaRound's pieces (calibration.md §2.4, §6.4): the rectified sigmoid h(V) = clamp(σ(V)·(ζ−γ) + γ, 0, 1) with
/// γ = −0.1, ζ = 1.1; V initialised so that h(V) is the fractional part of w/s; the rounding regulariser
/// f(h) = 1 − |2h − 1|^β that pushes h to 0 or 1; and β's schedule (constant during the warm-up, then linear).
/// </summary>
public static class AdaRound
{
    public const double Gamma = -0.1, Zeta = 1.1;

    public static double Sigmoid(double v) => 1 / (1 + Math.Exp(-v));

    public static double H(double v) => Math.Clamp(Sigmoid(v) * (Zeta - Gamma) + Gamma, 0, 1);

    /// <summary>dh/dV (0 where the clamp is active).</summary>
    public static double DH(double v)
    {
        double s = Sigmoid(v), raw = s * (Zeta - Gamma) + Gamma;
        return raw is > 0 and < 1 ? s * (1 - s) * (Zeta - Gamma) : 0;
    }

    /// <summary>The V with h(V) = <paramref name="fraction"/> ∈ [0, 1).</summary>
    public static double InitialV(double fraction) => -Math.Log((Zeta - Gamma) / (fraction - Gamma) - 1);

    /// <summary>f(h) = 1 − |2h − 1|^β: 1 at h = ½, 0 at h ∈ {0, 1}.</summary>
    public static double Regularizer(double h, double beta) => 1 - Math.Pow(Math.Abs(2 * h - 1), beta);

    /// <summary>df/dh.</summary>
    public static double RegularizerDerivative(double h, double beta)
    {
        double u = 2 * h - 1;
        return u == 0 ? 0 : -2 * beta * Math.Pow(Math.Abs(u), beta - 1) * Math.Sign(u);
    }

    /// <summary>
    /// β at <paramref name="step"/> of <paramref name="total"/>: <paramref name="start"/> during the first
    /// <paramref name="warmup"/> fraction, then linear to <paramref name="end"/> at the last step.
    /// </summary>
    public static double Beta(double step, double total, double warmup = 0.2, double start = 20, double end = 2)
    {
        double w = warmup * total;
        if (step <= w) return start;
        return start + (end - start) * Math.Min(1, (step - w) / (total - w));
    }

    /// <summary>True once the warm-up is over (the regulariser is active).</summary>
    public static bool RegularizerActive(int step, int total, double warmup = 0.2) => step >= warmup * total;
}
