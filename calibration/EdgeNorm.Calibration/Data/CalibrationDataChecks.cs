using EdgeNorm.Calibration.Quantization;
using EdgeNorm.Model.Ir;

namespace EdgeNorm.Calibration.Data;

/// <summary>Checks of calibration data before any pass: a NaN or ±∞ would silently widen or poison every range after it.</summary>
public static class CalibrationDataChecks
{
    /// <summary>
    /// Throws <see cref="QuantizationException"/> naming the input, the sample index (axis 0) and the element of the
    /// first non-finite value. <paramref name="sources"/> maps an input name to where it came from (a file), for the message.
    /// </summary>
    public static void RequireFinite(IReadOnlyDictionary<string, Tensor> data, IReadOnlyDictionary<string, string>? sources = null)
    {
        foreach (var (name, t) in data)
        {
            if (!t.IsFloat || t.Length == 0) continue;
            var f = t.F;
            for (int i = 0; i < f.Length; i++)
            {
                if (float.IsFinite(f[i])) continue;
                int row = (int)(t.Length / Math.Max(1, t.Shape[0]));
                string where = sources is not null && sources.TryGetValue(name, out var s) ? $"{s}: " : "";
                string what = float.IsNaN(f[i]) ? "NaN" : f[i] > 0 ? "+Inf" : "-Inf";
                throw new QuantizationException(
                    $"{where}calibration sample {i / row} of input '{name}' contains {what} (element {i % row} of the sample); remove or repair that sample");
            }
        }
    }
}
