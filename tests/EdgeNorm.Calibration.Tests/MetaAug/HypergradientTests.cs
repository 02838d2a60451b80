using EdgeNorm.Calibration.MetaAug;
using EdgeNorm.Calibration.Tests.Gradients;
using Xunit;
using Attribute = EdgeNorm.Model.Ir.Attribute;

namespace EdgeNorm.Calibration.Tests.MetaAug;

/// <summary>
/// calibration.md §6.4: with one inner SGD step, the directional derivative of the outer objective along a random
/// direction in T's parameters φ, by central finite differences in float64, matches the DARTS hypergradient to
/// ≤ 1e-2 relative. Smooth toy block: soft rounding on, activation and probability quantisation off.
/// </summary>
public sealed class HypergradientTests(ITestOutputHelper output)
{
    private static (MetaAugEngine<double> Engine, double[] X, MetaAugOptions Options) Toy(double alpha = 5, double margin = 0.5, double info = 1)
    {
        var g = new TestGraph(seed: 11);
        string w1 = g.Weight([5, 1, 2, 2]), w2 = g.Weight([3, 5]);
        var h = g.Fused("PatchEmbed", [g.Input("image", 3, 1, 4, 4), w1, g.Weight([5], 0.1)], ("kernel_shape", Attribute.Of(new long[] { 2, 2 })));
        var logits = g.Fused("Linear", [g.Fused("Gelu", [h]), w2, g.Weight([3], 0.1)]);
        g.Outputs(logits);
        // one large weight per row makes the int8 step coarse (s ≈ 0.1), so rounding visibly changes the block
        foreach (var (w, k) in new[] { (w1, 4), (w2, 5) })
            for (int r = 0; r < g.Graph.Initializers[w].F.Length / k; r++) g.Graph.Initializers[w].F[r * k + r % k] = 12f;
        var rng = new Random(6);
        var x = GradientCheck.Random(rng, 3 * 16);
        var options = new MetaAugOptions { Alpha = alpha, MarginWeight = margin, InfoWeight = info, MarginThreshold = 1.0, InnerLearningRate = 0.5, Hidden = 2, Seed = 3 };
        var engine = new MetaAugEngine<double>(g.Graph, 3, x, options);
        engine.DisableActivationQuantization();
        // away from the init (where the soft weights equal the float ones and the quantised block is the float block,
        // so the inner loss and the KL vanish identically), so that the second-order part is exercised
        foreach (var layer in engine.CurrentLayers) layer.V = layer.V.Select(v => v + 0.8 * (2 * rng.NextDouble() - 1)).ToArray();
        for (int i = 0; i < engine.Net.Parameters.Length; i++) engine.Net.Parameters[i] = 0.3 * (2 * rng.NextDouble() - 1);
        return (engine, x, options);
    }

    [Theory]
    [InlineData(5, 0.5, 1)]   // the full objective
    [InlineData(5, 0, 0)]     // the KL alone: it reaches φ only through θ'(φ), i.e. only through the second-order term
    public void DartsHypergradient_MatchesFiniteDifferencesOfTheUnrolledObjective(double alpha, double margin, double info)
    {
        var (engine, x, options) = Toy(alpha, margin, info);
        var (grad, _) = engine.Hypergradient(x);
        var d = GradientCheck.Random(new Random(8), grad.Length);
        double analytic = grad.Select((v, i) => v * d[i]).Sum();
        var phi = (double[])engine.Net.Parameters.Clone();
        const double h = 1e-4;
        double J(double c)
        {
            for (int i = 0; i < phi.Length; i++) engine.Net.Parameters[i] = phi[i] + c * d[i];
            return engine.Objective(x).Total(options);
        }
        double fd = (J(h) - J(-h)) / (2 * h);
        phi.CopyTo(engine.Net.Parameters, 0);
        double err = Math.Abs(fd - analytic) / Math.Max(Math.Abs(fd), Math.Abs(analytic));
        output.WriteLine($"directional derivative: DARTS {analytic:G8}, finite differences {fd:G8}, relative error {err:E2}");
        Assert.True(Math.Abs(fd) > 1e-6, $"the objective hardly depends on φ ({fd:E2}): the check would prove nothing");
        Assert.True(err <= 1e-2, $"relative error {err:E3}");
    }
}
