using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using EdgeNorm.Calibration.MetaAug;
using EdgeNorm.Model.Ir;

namespace EdgeNorm.Cli.Verbs;

/// <summary>The MetaAug flags of `edgenorm calibrate --metaaug` (defaults: <see cref="MetaAugOptions"/>) and the run.</summary>
internal sealed class MetaAugArguments
{
    private static readonly MetaAugOptions Defaults = new();
    private readonly Option<int> _iterations = new("--metaaug-iters") { Description = $"MetaAug: reconstruction iterations per block (default {Defaults.Iterations})", DefaultValueFactory = _ => Defaults.Iterations };
    private readonly Option<int> _metaSteps = new("--metaaug-meta-steps") { Description = $"MetaAug: bi-level steps of the transformation network per block (default {Defaults.MetaSteps})", DefaultValueFactory = _ => Defaults.MetaSteps };

    private readonly Option<double> _stepLearningRate = new("--metaaug-step-lr") { Description = $"MetaAug: Adam learning rate of the activation steps, relative to each step (default {Defaults.StepLearningRate.ToString(CultureInfo.InvariantCulture)}; 0 keeps the data calibrator's ranges)", DefaultValueFactory = _ => Defaults.StepLearningRate };

    public IEnumerable<Option> All => [_iterations, _metaSteps, _stepLearningRate];

    /// <summary>
    /// Runs MetaAug on the calibration data (the seeded subset of <paramref name="samples"/>); progress goes to
    /// <paramref name="e"/>; adds calibration.metaaug metadata. <paramref name="softmax"/>, <paramref name="gelu"/>: the code family and GELU form the quantiser will use. Returns the overrides and the samples used.
    /// </summary>
    public (MetaAugResult Result, Dictionary<string, Tensor> Samples) Run(Graph graph, IReadOnlyDictionary<string, Tensor> data, ParseResult r,
        int? samples, int seed, string softmax, string gelu, string method, TextWriter e, IDictionary<string, string> metadata)
    {
        (string, int) current = ("", 0);
        TimeSpan phaseStart = TimeSpan.Zero, last = TimeSpan.Zero;   // a phase starts where the previous one's last report was
        var options = new MetaAugOptions
        {
            Iterations = r.GetValue(_iterations),
            MetaSteps = r.GetValue(_metaSteps),
            StepLearningRate = r.GetValue(_stepLearningRate),
            Softmax = softmax,
            Gelu = gelu,
            Seed = seed,
            Progress = p =>
            {
                if ((p.Phase, p.Block) != current) { current = (p.Phase, p.Block); phaseStart = last; }
                last = p.Elapsed;
                string time = ProgressPrinter.Time((p.Elapsed - phaseStart).TotalSeconds, p.Step, p.Steps);
                e.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"calibrate: metaaug block {p.Block}/{p.Blocks} {p.Phase} step {p.Step}/{p.Steps}, loss {p.Loss:G4}, {time}"));
            },
        };
        var clock = Stopwatch.StartNew();
        var run = MetaAugCalibrator.Run(graph, data, samples, seed, options, method);
        e.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"calibrate: metaaug done in {clock.Elapsed.TotalSeconds:F1} s: {run.Result.LayerWeights.Count} layer(s) rounded, {run.Result.Ranges.Count} activation step(s) learned"));
        metadata["calibration.metaaug"] = run.Result.Settings;
        return run;
    }
}
