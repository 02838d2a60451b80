using System.CommandLine;
using System.Globalization;
using EdgeNorm.Calibration.ZeroQ;
using EdgeNorm.Model.Ir;

namespace EdgeNorm.Cli.Verbs;

/// <summary>The ZeroQ tuning flags of `edgenorm calibrate --zeroq` (defaults: calibration.md §6.1) and the distillation run.</summary>
internal sealed class ZeroQArguments
{
    private readonly Option<int> _steps = new("--zeroq-steps") { Description = "ZeroQ: Adam steps (default 500)", DefaultValueFactory = _ => 500 };
    private readonly Option<double> _lr = new("--zeroq-lr") { Description = "ZeroQ: learning rate (default 0.5, plateau schedule)", DefaultValueFactory = _ => 0.5 };
    private readonly Option<int> _batch = new("--zeroq-batch") { Description = "ZeroQ: distilled samples (default 32)", DefaultValueFactory = _ => 32 };
    private readonly Option<string> _mode = new("--zeroq-mode") { Description = "ZeroQ: sample (per-sample statistics, default)|batch", DefaultValueFactory = _ => "sample" };
    private readonly Option<string> _init = new("--zeroq-init") { Description = "ZeroQ: uniform (reference code, default)|gaussian", DefaultValueFactory = _ => "uniform" };

    public IEnumerable<Option> All => [_steps, _lr, _batch, _mode, _init];

    /// <summary>Distils the calibration batch; progress and the final statistics go to <paramref name="e"/>; adds zeroq.* metadata.</summary>
    public Dictionary<string, Tensor> Distill(Graph graph, ParseResult r, int seed, TextWriter e, IDictionary<string, string> metadata)
    {
        var mode = r.GetValue(_mode) switch
        {
            "sample" => ZeroQMode.Sample,
            "batch" => ZeroQMode.Batch,
            var m => throw new ZeroQException($"--zeroq-mode {m} is not available (sample, batch)"),
        };
        var init = r.GetValue(_init) switch
        {
            "uniform" => ZeroQInit.Uniform,
            "gaussian" => ZeroQInit.Gaussian,
            var i => throw new ZeroQException($"--zeroq-init {i} is not available (uniform, gaussian)"),
        };
        var options = new ZeroQOptions
        {
            Steps = r.GetValue(_steps),
            LearningRate = r.GetValue(_lr),
            Batch = r.GetValue(_batch),
            Mode = mode,
            Init = init,
            Seed = seed,
            Progress = p => e.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"calibrate: zeroq step {p.Step}/{p.Steps}, loss {p.Loss:G4}, lr {p.LearningRate:G3}, {ProgressPrinter.Time(p.Elapsed.TotalSeconds, p.Step, p.Steps)}")),
        };
        var result = ZeroQDistiller.Distill(graph, options);
        e.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"calibrate: zeroq distilled {options.Batch} sample(s): loss {result.InitialLoss:G4} → {result.FinalLoss:G4}, mean over BN layers |μ̃−μ|/σ {result.MeanError:F3}, |σ̃/σ−1| {result.StdError:F3}"));
        metadata["calibration.zeroq"] = string.Create(CultureInfo.InvariantCulture,
            $"mode={r.GetValue(_mode)} steps={options.Steps} lr={options.LearningRate} batch={options.Batch} init={r.GetValue(_init)} seed={seed}");
        metadata["calibration.zeroq.stats"] = string.Create(CultureInfo.InvariantCulture, $"mean_err={result.MeanError:F4} std_err={result.StdError:F4} loss={result.FinalLoss:G4}");
        return new Dictionary<string, Tensor> { [result.InputName] = result.Input };
    }
}
