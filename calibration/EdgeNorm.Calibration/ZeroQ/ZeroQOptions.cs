namespace EdgeNorm.Calibration.ZeroQ;

/// <summary>Whose statistics are matched to the BN running statistics.</summary>
public enum ZeroQMode
{
    /// <summary>Each sample's per-channel mean/std over its positions (ZeroQ's released code; unbiased variance as torch.var).</summary>
    Sample,
    /// <summary>The batch's per-channel mean/std over samples and positions (Genie/DeepInversion; population variance).</summary>
    Batch,
}

/// <summary>How the distilled inputs start.</summary>
public enum ZeroQInit
{
    /// <summary>ZeroQ's code: integers 0..254, minus 127.5, divided by 5418.75 (std ≈ 0.01359).</summary>
    Uniform,
    /// <summary>N(0, 1), as the paper's Algorithm 1 describes.</summary>
    Gaussian,
}

/// <summary>One progress report of the distillation.</summary>
public sealed record ZeroQProgress(int Step, int Steps, double Loss, double LearningRate, TimeSpan Elapsed);

/// <summary>ZeroQ settings; defaults are the reference code's (calibration.md §1.2, §6.1).</summary>
public sealed record ZeroQOptions
{
    public int Steps { get; init; } = 500;
    public double LearningRate { get; init; } = 0.5;
    /// <summary>Distilled samples (one batch, optimised together).</summary>
    public int Batch { get; init; } = 32;
    public ZeroQMode Mode { get; init; } = ZeroQMode.Sample;
    public ZeroQInit Init { get; init; } = ZeroQInit.Uniform;
    public int Seed { get; init; }
    /// <summary>Plateau schedule: patience (steps), factor, floor.</summary>
    public int Patience { get; init; } = 100;
    public double Factor { get; init; } = 0.1;
    public double MinLearningRate { get; init; } = 1e-4;
    /// <summary>Added to the variance before the square root, on both sides (the reference code's 1e-6).</summary>
    public double Epsilon { get; init; } = 1e-6;
    /// <summary>Also pull each image input's per-channel mean/std toward 0/1 (inputs of rank 4, channels on axis 1).</summary>
    public bool InputTerm { get; init; } = true;
    /// <summary>Called every <see cref="ProgressEvery"/> steps and at the last one.</summary>
    public Action<ZeroQProgress>? Progress { get; init; }
    public int ProgressEvery { get; init; } = 50;

    public void Validate()
    {
        if (Steps < 0) throw new ZeroQException($"ZeroQ steps must be ≥ 0, got {Steps}");
        if (Batch < 1) throw new ZeroQException($"ZeroQ batch must be ≥ 1, got {Batch}");
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate)) throw new ZeroQException($"ZeroQ learning rate must be a positive number, got {LearningRate}");
    }
}
