namespace EdgeNorm.Runtime.Numerics.Offline;

/// <summary>
/// Offline (floating point): the exact 256-entry table of an elementwise function of an int8 input
/// (docs/numerics.md §7.3). At inference the op is a pure lookup (<see cref="Kernels.Reference.LookupTableReference"/>).
/// </summary>
public static class LookupTableBuilder
{
    /// <summary>Entries in a table: one per int8 code, indexed by <c>code + 128</c>.</summary>
    public const int Length = 256;

    /// <summary>
    /// <c>table[q + 128] = sat8(⌊f(s_in·(q − z_in))/s_out + ½⌋ + z_out)</c> for every int8 q: the real function at
    /// the dequantised input, rounded half up to the output grid — the best any int8 → int8 map can do.
    /// </summary>
    public static sbyte[] BuildInt8(Func<double, double> f, double inputScale, int inputZeroPoint, double outputScale, int outputZeroPoint)
    {
        ArgumentNullException.ThrowIfNull(f);
        CheckScale(inputScale, nameof(inputScale));
        CheckScale(outputScale, nameof(outputScale));
        var table = new sbyte[Length];
        for (int q = sbyte.MinValue; q <= sbyte.MaxValue; q++)
        {
            double y = f(inputScale * (q - inputZeroPoint));
            if (double.IsNaN(y))
                throw new ArgumentException($"the function is NaN at input code {q}", nameof(f));
            double code = Math.Floor(y / outputScale + 0.5) + outputZeroPoint;
            table[q + 128] = (sbyte)Math.Clamp(code, sbyte.MinValue, sbyte.MaxValue);
        }
        return table;
    }

    private static void CheckScale(double s, string name)
    {
        if (!(s > 0) || double.IsInfinity(s))
            throw new ArgumentOutOfRangeException(name, s, "a scale must be finite and positive");
    }
}
