namespace EdgeNorm.Calibration.Quantization;

/// <summary>Options of <see cref="Quantizer"/>.</summary>
public sealed record QuantizerOptions
{
    /// <summary>Range calibrator: "minmax", "percentile" (symmetric clip at <see cref="Percentile"/> of |x|), "entropy" or "mse" (Calibrators/).</summary>
    public string Method { get; init; } = "minmax";
    /// <summary>Quantile of |x| the percentile calibrator clips at.</summary>
    public double Percentile { get; init; } = 0.9999;
    /// <summary>"log2" (= the measured best of the two, see docs/accuracy.md), "lis", "logsqrt2" or "linear" (I-BERT uint8 probabilities).</summary>
    public string Softmax { get; init; } = "log2";
    /// <summary>GELU form: "lut" (the exact 256-entry table on the int8 input; measured best, docs/accuracy.md), "igelu" (I-BERT, post-shift for the scale) or "shiftgelu" (I-ViT, exact division).</summary>
    public string Gelu { get; init; } = "lut";
    /// <summary>RepBN/PRepBN folding (integer-ops.md §6.2): "requant" (per-channel requant of the residual stream), "linear" (into the following Linear's weights) or "auto" (both, keep the one whose logits are closer to float on the calibration data).</summary>
    public string PrepBnFold { get; init; } = "auto";
    /// <summary>Renormalise attention × V by the integer sum of the dequantised codes (docs/numerics.md §6.4).</summary>
    public bool Renormalize { get; init; } = true;
    /// <summary>Calibration samples to use (a seeded random subset); null = all.</summary>
    public int? Samples { get; init; }
    /// <summary>Seed of the subset choice.</summary>
    public int Seed { get; init; }
    /// <summary>Samples per float-executor call.</summary>
    public int BatchSize { get; init; } = 64;
    /// <summary>Calibration inputs stored with their integer outputs as the golden self-test set.</summary>
    public int GoldenSamples { get; init; } = 4;
    /// <summary>Extra metadata (e.g. source.sha256, preprocess.*).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();
    /// <summary>Weights and activation ranges chosen by a reconstruction calibrator (MetaAug); null = none.</summary>
    public IQuantizationOverrides? Overrides { get; init; }
    /// <summary>Progress of the calibration passes: (phase, batches done, batches in the phase); the CLI prints it on stderr.</summary>
    public Action<string, int, int>? Progress { get; init; }

    /// <summary>The concrete softmax code family "log2" stands for: log√2, measured better on vit_prepbn (docs/accuracy.md).</summary>
    public const string BestLog2Variant = "logsqrt2";

    /// <summary>The concrete code family used.</summary>
    public string SoftmaxVariant => Softmax switch
    {
        "log2" => BestLog2Variant,
        "lis" or "logsqrt2" or "linear" => Softmax,
        _ => throw new QuantizationException($"--softmax {Softmax} is not available (log2, lis, logsqrt2, linear)"),
    };
}
