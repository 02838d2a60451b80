namespace EdgeNorm.Calibration.Autodiff.Optimizers;

/// <summary>
/// PyTorch's <c>ReduceLROnPlateau</c> in mode "min" with relative threshold and no cooldown: a step whose metric is
/// not below best·(1 − threshold) is "bad"; after more than <paramref name="patience"/> bad steps in a row the rate
/// is multiplied by <paramref name="factor"/> (not below <paramref name="minRate"/>) and the count restarts.
/// </summary>
public sealed class PlateauSchedule(double rate, int patience = 100, double factor = 0.1, double minRate = 1e-4, double threshold = 1e-4)
{
    private double _best = double.PositiveInfinity;
    private int _bad;

    public double Rate { get; private set; } = rate;

    /// <summary>Number of reductions so far.</summary>
    public int Reductions { get; private set; }

    public void Step(double metric)
    {
        if (metric < _best * (1 - threshold)) { _best = metric; _bad = 0; }
        else _bad++;
        if (_bad > patience)
        {
            double next = Math.Max(Rate * factor, minRate);
            if (Rate - next > 1e-8) { Rate = next; Reductions++; }
            _bad = 0;
        }
    }
}
