using EdgeNorm.Runtime.Numerics;

namespace EdgeNorm.Calibration.Quantization;

/// <summary>
/// The float norm's ε in the integer spread's units (docs/numerics.md §8.4–8.5), so that the integer norm
/// divides by exactly the quantity the float op divides by.
/// </summary>
public static class NormEpsilon
{
    /// <summary>
    /// LayerNorm: the float op divides by √(Σ(x−μ)²/C + ε); with x = s·q and V = Σ((q−μ) &gt;&gt; sh)² that is
    /// √(V + C·ε/(s²·4^sh))·2^sh·s/√C, so <c>ε_V = round(C·ε/(s²·4^sh))</c>. L1Norm: the float op divides by
    /// k·Σ|x−μ|/C + ε = (k·s/C)·(D + ε·C/(k·s)), so <c>ε_D = round(ε·C/(k·s))</c>. Both rounded half up and
    /// clamped to [0, <see cref="IntNorm.MaxEpsilon"/>]. <paramref name="epsilon"/> is the float32 attribute.
    /// </summary>
    public static long InSpreadUnits(string kind, float epsilon, int channels, double inputScale, float madScale, int overflowShift)
    {
        if (!(epsilon > 0)) return 0;
        double e = kind == "layernorm"
            ? channels * (double)epsilon / (inputScale * inputScale) / Math.ScaleB(1.0, 2 * overflowShift)
            : (double)epsilon * channels / (madScale * inputScale);
        return (long)Math.Clamp(Math.Floor(e + 0.5), 0, IntNorm.MaxEpsilon);
    }
}
