using System.Diagnostics;
using EdgeNorm.Calibration.Autodiff;
using EdgeNorm.Calibration.Autodiff.Optimizers;
using EdgeNorm.Calibration.Float;
using EdgeNorm.Model.Ir;

namespace EdgeNorm.Calibration.ZeroQ;

/// <summary>What a distillation produced: the batch, and how well it matches the BN statistics.</summary>
public sealed record ZeroQResult(string InputName, Tensor Input, double InitialLoss, double FinalLoss,
    IReadOnlyList<StatisticsError> Layers, IReadOnlyList<StatisticsError> LayersBatchLevel, int Steps, TimeSpan Elapsed)
{
    /// <summary>Mean over BN layers (the input term excluded) of the per-layer mean |μ̃−μ|/σ, in the distillation mode.</summary>
    public double MeanError => Layers.Where(l => l.Name != ZeroQDistiller.InputTermName).Average(l => l.MeanError);

    /// <summary>Mean over BN layers of the per-layer mean |σ̃/σ − 1|, in the distillation mode.</summary>
    public double StdError => Layers.Where(l => l.Name != ZeroQDistiller.InputTermName).Average(l => l.StdError);
}

/// <summary>
/// ZeroQ's data distillation (calibration.md §1, §6.1): start a batch of inputs from noise and optimise it with Adam
/// so that, at the input of every BatchNormalization the model had before fusion, the per-channel mean/std of the
/// activations match the BN running statistics (plus, for image inputs, per-channel mean 0 / std 1 at the input).
/// Only the inputs are optimised; the model is frozen. Gradients come from a float32 <see cref="Tape{T}"/>.
/// </summary>
public static class ZeroQDistiller
{
    public const string InputTermName = "input";

    /// <summary>The BN targets of a graph, mapped onto its (fused) tensors; throws when ZeroQ cannot apply.</summary>
    public static List<BnTarget> Targets(Graph graph, double epsilon)
    {
        if (graph.BnStatistics.Count == 0)
        {
            var norms = graph.Nodes.Where(n => n.OpType is "LayerNorm" or "LayerNormalization" or "L1Norm").Select(n => n.OpType).Distinct().ToList();
            throw new ZeroQException("ZeroQ needs BatchNormalization running statistics to distil data from, and this model has none"
                + (norms.Count > 0 ? $" (it normalises with {string.Join("/", norms)}, which keeps no statistics)" : "")
                + (norms.Count == 0 ? "; if BN was folded into a Conv/MatMul at export, re-export without folding" : "")
                + "; calibrate with data instead: --data X.npy");
        }
        return graph.BnStatistics.Select(b => new BnTarget(b.NodeName, b.InputTensor, b.ChannelAxis,
            b.Mean.Select(v => (double)v).ToArray(),
            b.Variance.Select(v => Math.Sqrt(v + epsilon)).ToArray())).ToList();
    }

    public static ZeroQResult Distill(Graph graph, ZeroQOptions options)
    {
        options.Validate();
        var targets = Targets(graph, options.Epsilon);
        var inputs = new FloatExecutor(graph).Inputs;
        if (inputs.Count != 1 || inputs[0].DataType != DataType.Float32)
            throw new ZeroQException($"ZeroQ distils one float input; this model's inputs are {string.Join(", ", inputs.Select(i => i.ToString()))}");
        var input = inputs[0];
        if (input.Shape.Length < 2 || input.Shape.Skip(1).Any(d => !d.IsFixed))
            throw new ZeroQException($"ZeroQ needs the input's shape past the batch axis to be fixed, got {input}");
        int[] shape = [options.Batch, .. input.Shape.Skip(1).Select(d => (int)d.Size)];
        if (input.Shape[0].IsFixed && input.Shape[0].Size != options.Batch)
            throw new ZeroQException($"the model's batch is fixed at {input.Shape[0].Size}; pass --zeroq-batch {input.Shape[0].Size}");

        var tape = new Tape<float>(graph, new Dictionary<string, int[]> { [input.Name] = shape });
        foreach (var t in targets)
            if (!tape.Records(t.Tensor))
                throw new ZeroQException($"BN '{t.Name}' normalises tensor '{t.Tensor}', which the fused graph does not compute from the input");
        if (options.InputTerm && shape.Length == 4)
            targets.Add(new BnTarget(InputTermName, input.Name, 1, new double[shape[1]], Enumerable.Repeat(1.0, shape[1]).ToArray()));

        var x = Initial(shape, options);
        var adam = new Adam(x.Length);
        var schedule = new PlateauSchedule(options.LearningRate, options.Patience, options.Factor, options.MinLearningRate);
        var clock = Stopwatch.StartNew();
        double initial = double.NaN;
        for (int step = 0; step < options.Steps; step++)
        {
            var (loss, grad) = LossAndGradient(tape, input.Name, x, targets, options);
            if (step == 0) initial = loss;
            if (!double.IsFinite(loss)) throw new ZeroQException($"the ZeroQ loss became {loss} at step {step}; try a smaller --zeroq-lr");
            adam.Step(x, grad, schedule.Rate);
            schedule.Step(loss);
            if (options.Progress is { } report && ((step + 1) % options.ProgressEvery == 0 || step + 1 == options.Steps))
                report(new ZeroQProgress(step + 1, options.Steps, loss, schedule.Rate, clock.Elapsed));
        }
        tape.Forward(new Dictionary<string, float[]> { [input.Name] = x });
        var layers = Measure(tape, targets, options.Mode, options.Epsilon);
        var batchLevel = Measure(tape, targets, ZeroQMode.Batch, options.Epsilon);
        double final = layers.Sum(l => l.Loss);
        if (options.Steps == 0) initial = final;
        return new ZeroQResult(input.Name, Tensor.FromFloats(shape, x), initial, final, layers, batchLevel, options.Steps, clock.Elapsed);
    }

    /// <summary>The starting batch (calibration.md §1.2), seeded.</summary>
    public static float[] Initial(int[] shape, ZeroQOptions options)
    {
        var rng = new Random(options.Seed);
        var x = new float[Tensor.ElementCount(shape)];
        for (int i = 0; i < x.Length; i++)
            x[i] = options.Init == ZeroQInit.Uniform
                ? (float)((rng.Next(0, 255) - 127.5) / 5418.75)
                : (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));
        return x;
    }

    /// <summary>The total loss over all targets at inputs <paramref name="x"/>, and its gradient with respect to x.</summary>
    public static (double Loss, float[] Gradient) LossAndGradient(Tape<float> tape, string inputName, float[] x, IReadOnlyList<BnTarget> targets, ZeroQOptions options)
    {
        tape.Forward(new Dictionary<string, float[]> { [inputName] = x });
        var seeds = new Dictionary<string, float[]>(StringComparer.Ordinal);
        double loss = 0;
        float[]? direct = null;
        foreach (var t in targets)
        {
            bool isInput = t.Tensor == inputName;
            var g = new float[tape.Value(t.Tensor).Length];
            loss += ChannelStatistics.Evaluate<float>(t, tape.Value(t.Tensor), tape.Shape(t.Tensor), options.Mode, options.Epsilon, g).Loss;
            if (isInput) direct = g;
            else if (seeds.TryGetValue(t.Tensor, out var prev)) System.Numerics.Tensors.TensorPrimitives.Add(prev, g, prev);
            else seeds[t.Tensor] = g;
        }
        var grad = tape.Backward(seeds)[inputName];
        if (direct is not null) System.Numerics.Tensors.TensorPrimitives.Add(grad, direct, grad);
        return (loss, grad);
    }

    private static List<StatisticsError> Measure(Tape<float> tape, IReadOnlyList<BnTarget> targets, ZeroQMode mode, double epsilon) =>
        targets.Select(t => ChannelStatistics.Evaluate<float>(t, tape.Value(t.Tensor), tape.Shape(t.Tensor), mode, epsilon, null)).ToList();
}
