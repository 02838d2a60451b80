using System.Numerics;
using EdgeNorm.Calibration.Autodiff;

namespace EdgeNorm.Calibration.MetaAug;

/// <summary>
/// The integer attention's 4-bit log2-family probability codes, simulated in float (docs/numerics.md §6): log√2
/// p̂ = 2^(−c/2) with c = round(−2·log2 p), LIS p̂ = 2^(−c) with c = round(−log2 p); codes past 15 are 0; then the row
/// is renormalised by Σ p̂ when the runtime renormalises.
/// </summary>
public sealed class Log2ProbabilityQuantizer<T>(string variant, bool renormalize) : IRowTransform<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly double _perOctave = variant == "lis" ? 1 : 2;

    public void Apply(Span<T> row)
    {
        double sum = 0;
        for (int i = 0; i < row.Length; i++)
        {
            double p = double.CreateTruncating(row[i]);
            double c = p > 0 ? Math.Round(-_perOctave * Math.Log2(p)) : double.PositiveInfinity;
            double q = c > 15 ? 0 : Math.Pow(2, -c / _perOctave);
            row[i] = T.CreateTruncating(q);
            sum += q;
        }
        if (!renormalize || sum <= 0) return;
        for (int i = 0; i < row.Length; i++) row[i] = T.CreateTruncating(double.CreateTruncating(row[i]) / sum);
    }
}
