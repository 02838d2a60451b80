namespace EdgeNorm.Calibration.MetaAug;

/// <summary>Progress of MetaAug: phase ("meta" or "reconstruction"), block (1-based) of blocks, step of steps, loss, time so far.</summary>
public readonly record struct MetaAugProgress(string Phase, int Block, int Blocks, int Step, int Steps, double Loss, TimeSpan Elapsed);

/// <summary>
/// Settings of <see cref="MetaAugCalibrator"/>. Defaults: calibration.md §2.5 where they carry over, scaled down for a
/// CPU (docs/calibration.md, "MetaAug"), so one digits ViT calibrates in about a minute.
/// </summary>
public sealed record MetaAugOptions
{
    /// <summary>
    /// Reconstruction iterations per block (the reference: 20,000; its maintainers: 1k–5k are as good). 500 keeps one
    /// digits ViT under ~2 minutes on the shared 2-core machine; raise it with --metaaug-iters.
    /// </summary>
    public int Iterations { get; init; } = 500;
    /// <summary>Meta steps (bi-level updates of T) per block before its reconstruction (the reference: 500).</summary>
    public int MetaSteps { get; init; } = 20;
    /// <summary>Samples per step (the reference: 32).</summary>
    public int Batch { get; init; } = 32;
    /// <summary>Adam learning rate of the rounding logits V (reference 1e-3 over 20,000 iterations; 1e-2 lets V cross 0 in a few hundred).</summary>
    public double RoundingLearningRate { get; init; } = 1e-2;
    /// <summary>
    /// Adam learning rate of the activation steps, relative to each step's initial value (3e-3: a step can move by up
    /// to ±1.5× its start over 500 iterations; 1e-3 measured less consistent over seeds, docs/accuracy.md).
    /// </summary>
    public double StepLearningRate { get; init; } = 3e-3;
    /// <summary>
    /// Weight λ of the rounding regulariser, as a mean over the unit's weights, against the reconstruction error
    /// relative to round-to-nearest's (at int8 the raw error is far smaller than the 4-bit errors BRECQ's 0.01 was set for).
    /// </summary>
    public double RoundingWeight { get; init; } = 0.1;
    /// <summary>Fraction of the iterations before the rounding regulariser starts (β then decays 20 → 2).</summary>
    public double WarmUp { get; init; } = 0.2;
    /// <summary>QDrop: probability that an activation element keeps its float value during reconstruction.</summary>
    public double DropProbability { get; init; } = 0.5;
    /// <summary>Hidden channels of the transformation network.</summary>
    public int Hidden { get; init; } = 8;
    /// <summary>Adam learning rate of T's parameters.</summary>
    public double TransformLearningRate { get; init; } = 1e-3;
    /// <summary>Gradient-norm clip of T's update (reference 0.1).</summary>
    public double GradientClip { get; init; } = 0.1;
    /// <summary>Learning rate η of the differentiable inner SGD step on the rounding logits.</summary>
    public double InnerLearningRate { get; init; } = 1.0;
    /// <summary>Outer loss weights (reference run.sh): α on the KL, β on the margin, γ on the information-preserving term.</summary>
    public double Alpha { get; init; } = 5;
    public double MarginWeight { get; init; } = 0.5;
    public double InfoWeight { get; init; } = 1;
    /// <summary>Margin threshold on mean((T(x) − x)²).</summary>
    public double MarginThreshold { get; init; } = 0.1;
    /// <summary>Temperature of the KL terms.</summary>
    public double Temperature { get; init; } = 4;
    /// <summary>The integer attention's probability codes to simulate: "logsqrt2", "lis", or "linear" (not simulated).</summary>
    public string Softmax { get; init; } = "logsqrt2";
    /// <summary>The quantiser's GELU form (QuantizerOptions.Gelu): "lut" gives GELU outputs read by Linears an asymmetric grid, simulated here.</summary>
    public string Gelu { get; init; } = "lut";
    /// <summary>Whether the runtime renormalises the code rows (QuantizerOptions.Renormalize).</summary>
    public bool Renormalize { get; init; } = true;
    public int Seed { get; init; }
    /// <summary>Progress every this many steps.</summary>
    public int ProgressEvery { get; init; } = 100;
    public Action<MetaAugProgress>? Progress { get; init; }

    public void Validate()
    {
        if (Iterations < 1) throw new MetaAugException($"--metaaug-iters must be at least 1, got {Iterations}");
        if (MetaSteps < 0) throw new MetaAugException($"--metaaug-meta-steps must be 0 or more, got {MetaSteps}");
        if (!(StepLearningRate >= 0) || double.IsInfinity(StepLearningRate)) throw new MetaAugException($"--metaaug-step-lr must be a finite number ≥ 0, got {StepLearningRate}");
        if (Batch < 1) throw new MetaAugException($"the MetaAug batch must be at least 1, got {Batch}");
        if (Hidden < 1) throw new MetaAugException($"the transformation network needs at least 1 hidden channel, got {Hidden}");
    }

    /// <summary>The settings recorded in the .edgn (metadata <c>calibration.metaaug</c>).</summary>
    public string Describe() => FormattableString.Invariant(
        $"iterations {Iterations}/block, meta steps {MetaSteps}/block, batch {Batch}, QDrop {DropProbability}, rounding λ {RoundingWeight} (β 20→2 after {WarmUp:P0}), step lr {StepLearningRate}, T: residual conv3x3×2 hidden {Hidden}, softmax codes simulated: {Softmax}, hypergradient DARTS finite difference (inner SGD η {InnerLearningRate}), α {Alpha} β {MarginWeight} γ {InfoWeight} threshold {MarginThreshold} τ {Temperature}, seed {Seed}");
}
