using EdgeNorm.Calibration.Quantization;
using EdgeNorm.Model.Ir;
using Range = EdgeNorm.Calibration.Calibrators.Range;

namespace EdgeNorm.Calibration.MetaAug;

/// <summary>
/// MetaAug calibration (calibration.md §2, §6.2): AdaRound + learned activation steps + QDrop block reconstruction,
/// with a transformation network trained by the bi-level objective supplying augmented samples. The result is
/// handed to the quantiser as <see cref="QuantizerOptions.Overrides"/>.
/// </summary>
public static class MetaAugCalibrator
{
    /// <summary>
    /// The data calibrator the learned steps start from unless told otherwise: percentile's clipped ranges, because 32
    /// samples make minmax's ranges depend on the one most extreme sample (docs/accuracy.md, "MetaAug").
    /// </summary>
    public const string DefaultMethod = "percentile";

    /// <summary>
    /// Runs MetaAug on the calibration samples of the graph's one image input: all of them, or the seeded subset of
    /// <paramref name="samples"/> the quantiser would pick for the same seed. Returns the overrides and the samples used
    /// (quantise with those and no further subset).
    /// </summary>
    /// <param name="method">The data calibrator (<see cref="Calibrators.RangeCalibration.Methods"/>) whose ranges the learned
    /// steps start from; the quantiser uses the same method for every range MetaAug does not learn.</param>
    public static (MetaAugResult Result, Dictionary<string, Tensor> Samples) Run(Graph graph, IReadOnlyDictionary<string, Tensor> data,
        int? samples, int seed, MetaAugOptions options, string method = DefaultMethod, double percentile = 0.9999)
    {
        options.Validate();
        var calibration = Quantizer.Subset(data, samples, seed, out _);
        if (calibration.Count != 1)
            throw new MetaAugException($"MetaAug transforms images: the model needs one float image input, the calibration data has {calibration.Count} inputs");
        var x = calibration.Values.First();
        if (!x.IsFloat || x.Rank != 4) throw new MetaAugException($"MetaAug transforms images: the calibration data must be float [N, C, H, W], got {x}");
        var initial = Calibrators.RangeCalibration.Run(new Float.FloatExecutor(graph), calibration, method, percentile);
        var engine = new MetaAugEngine<float>(graph, Math.Min(options.Batch, x.Shape[0]), x.F, options, initial);
        engine.Run(x.F);
        return (new MetaAugResult(
            engine.Layers.ToDictionary(l => l.Node.Name, l => (l.Float, l.Scales, l.Int8()), StringComparer.Ordinal),
            engine.Steps.ToDictionary(s => s.Tensor, s => s.Range, StringComparer.Ordinal),
            options.Describe() + $", steps start from {method}"), calibration);
    }
}

/// <summary>
/// What MetaAug chose: per layer the int8 weights (for the float weights and scales it rounded), per activation the
/// range its learned step stands for (<see cref="ActivationStep.Range"/>). A layer whose weights the quantiser changed (a PRepBN fold into it) keeps
/// round-to-nearest: the learned rounding belongs to the weights it was learned on.
/// </summary>
public sealed class MetaAugResult(
    IReadOnlyDictionary<string, (float[] Float, float[] Scales, sbyte[] Int8)> weights,
    IReadOnlyDictionary<string, Range> ranges, string settings) : IQuantizationOverrides
{
    public IReadOnlyDictionary<string, (float[] Float, float[] Scales, sbyte[] Int8)> LayerWeights => weights;
    public IReadOnlyDictionary<string, Range> Ranges => ranges;
    /// <summary>The settings, for the .edgn metadata.</summary>
    public string Settings => settings;

    public sbyte[]? Weights(Node node, float[] w, float[] scales) =>
        weights.TryGetValue(node.Name, out var l) && w.AsSpan().SequenceEqual(l.Float) && scales.AsSpan().SequenceEqual(l.Scales) ? l.Int8 : null;

    public Range? ActivationRange(string tensor, DataType dtype) =>
        dtype == DataType.Int8 && ranges.TryGetValue(tensor, out var r) ? r : null;
}
