using EdgeNorm.Calibration.Tests.Gradients;
using EdgeNorm.Calibration.ZeroQ;
using EdgeNorm.Model.Ir;
using EdgeNorm.Onnx;
using EdgeNorm.Tests;
using Xunit;

namespace EdgeNorm.Calibration.Tests.ZeroQ;

/// <summary>ZeroQ's checks from calibration.md §6.4: init statistics, the batch-mode fixed point, loss gradient, errors, determinism.</summary>
public sealed class ZeroQTests(ITestOutputHelper output)
{
    private static readonly Lazy<Graph> Prepbn = new(() => OnnxImporter.Import(TestPaths.Fixture("vit_prepbn.onnx")));

    [Fact]
    public void UniformInit_MatchesReferenceStatistics()
    {
        // (randint(0, 255) − 127.5) / 5418.75: mean ≈ −9.2e-5, std ≈ 0.013585, range [−0.023529, 0.023345].
        var x = ZeroQDistiller.Initial([150_000], new ZeroQOptions { Seed = 3 });
        double mean = x.Average(v => (double)v);
        double std = Math.Sqrt(x.Average(v => (v - mean) * (v - mean)));
        output.WriteLine($"mean {mean:E3} std {std:F6} min {x.Min():F6} max {x.Max():F6}");
        Assert.InRange(std, 0.013585 * 0.98, 0.013585 * 1.02);
        Assert.InRange(mean, -3e-4, 1.2e-4);
        Assert.Equal(-127.5 / 5418.75, x.Min(), 6);
        Assert.Equal(127.5 / 5418.75 - 1 / 5418.75, x.Max(), 6);
    }

    [Fact]
    public void BatchLoss_IsZeroAtTheBatchsOwnStatistics_PerSampleLossIsNot()
    {
        // A fixed batch D [B=4, T=5, C=3]; targets = D's exact population batch statistics.
        var rng = new Random(11);
        int[] shape = [4, 5, 3];
        var d = GradientCheck.Random(rng, 60).Select(v => v * 2 + 0.5).ToArray();
        var mean = new double[3];
        var var = new double[3];
        for (int i = 0; i < d.Length; i++) mean[i % 3] += d[i] / 20;
        for (int i = 0; i < d.Length; i++) var[i % 3] += (d[i] - mean[i % 3]) * (d[i] - mean[i % 3]) / 20;
        const double eps = 1e-6;
        var target = new BnTarget("bn", "t", 2, mean, var.Select(v => Math.Sqrt(v + eps)).ToArray());
        double batch = ChannelStatistics.Evaluate<double>(target, d, shape, ZeroQMode.Batch, eps, null).Loss;
        double sample = ChannelStatistics.Evaluate<double>(target, d, shape, ZeroQMode.Sample, eps, null).Loss;
        output.WriteLine($"batch {batch:E3} per-sample {sample:E3}");
        Assert.True(batch <= 1e-10);
        Assert.True(sample > 1e-3);
    }

    [Theory]
    [InlineData(ZeroQMode.Sample)]
    [InlineData(ZeroQMode.Batch)]
    public void StatisticsLossGradient_MatchesFiniteDifferences(ZeroQMode mode)
    {
        var rng = new Random(2);
        int[] shape = [3, 4, 5, 2];   // channels on axis 1, 10 positions each
        var x = GradientCheck.Random(rng, 120);
        var target = new BnTarget("bn", "t", 1, GradientCheck.Random(rng, 4), GradientCheck.Random(rng, 4).Select(v => 1 + 0.5 * v).ToArray());
        var g = new double[x.Length];
        ChannelStatistics.Evaluate<double>(target, x, shape, mode, 1e-6, g);
        double diff = 0, norm = 0;
        const double h = 1e-5;
        for (int i = 0; i < x.Length; i++)
        {
            double keep = x[i];
            x[i] = keep + h;
            double plus = ChannelStatistics.Evaluate<double>(target, x, shape, mode, 1e-6, null).Loss;
            x[i] = keep - h;
            double minus = ChannelStatistics.Evaluate<double>(target, x, shape, mode, 1e-6, null).Loss;
            x[i] = keep;
            double fd = (plus - minus) / (2 * h);
            diff += (fd - g[i]) * (fd - g[i]);
            norm += g[i] * g[i];
        }
        double err = Math.Sqrt(diff / norm);
        output.WriteLine($"relative error {err:E2}");
        Assert.True(err <= 1e-5);
    }

    [Fact]
    public void ModelWithoutBnStatistics_IsRefusedWithTheReason()
    {
        var graph = OnnxImporter.Import(TestPaths.Fixture("vit_ln_op17.onnx"));
        var e = Assert.Throws<ZeroQException>(() => ZeroQDistiller.Distill(graph, new ZeroQOptions { Steps = 1 }));
        output.WriteLine(e.Message);
        Assert.Contains("BatchNormalization", e.Message);
        Assert.Contains("LayerNorm", e.Message);
        Assert.Contains("--data", e.Message);
    }

    [Fact]
    public void SameSeed_SameDistilledBatch_OtherSeedDiffers()
    {
        var options = new ZeroQOptions { Steps = 10, Batch = 4, Seed = 5 };
        var a = ZeroQDistiller.Distill(Prepbn.Value, options);
        var b = ZeroQDistiller.Distill(Prepbn.Value, options);
        var c = ZeroQDistiller.Distill(Prepbn.Value, options with { Seed = 6 });
        Assert.Equal(a.Input.F, b.Input.F);
        Assert.NotEqual(a.Input.F, c.Input.F);
        Assert.Equal([4, 1, 8, 8], a.Input.Shape);
    }

    [Theory]
    [InlineData(ZeroQMode.Sample)]
    [InlineData(ZeroQMode.Batch)]
    public void ShortRun_LowersTheLoss_AndReportsProgress(ZeroQMode mode)
    {
        var reports = new List<ZeroQProgress>();
        var r = ZeroQDistiller.Distill(Prepbn.Value, new ZeroQOptions { Steps = 30, Batch = 8, Mode = mode, ProgressEvery = 10, Progress = reports.Add });
        output.WriteLine($"{mode}: loss {r.InitialLoss:E3} → {r.FinalLoss:E3}");
        Assert.True(r.FinalLoss < 0.5 * r.InitialLoss);
        Assert.Equal([10, 20, 30], reports.Select(p => p.Step));
        Assert.Equal(6, r.Layers.Count);   // five BN inputs and the input term
    }
}
