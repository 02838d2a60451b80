using EdgeNorm.Calibration.Autodiff;
using EdgeNorm.Calibration.MetaAug;
using EdgeNorm.Calibration.Tests.Gradients;
using EdgeNorm.Model.Ir;
using Xunit;
using Attribute = EdgeNorm.Model.Ir.Attribute;

namespace EdgeNorm.Calibration.Tests.MetaAug;

/// <summary>
/// The gradient rules MetaAug added, against central finite differences in float64 (relative error ≤ 1e-5, as the
/// Gradients/ tests): weights and biases as tape parameters, edge transforms, and the transformation network.
/// </summary>
public sealed class ParameterGradientTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-5;

    /// <summary>L = Σ ⟨w, output⟩ with fixed random w; checks ∂L/∂(every input and parameter).</summary>
    private void Check(Tape<double> tape, Dictionary<string, double[]> values, string seedTensor)
    {
        var rng = new Random(9);
        tape.Forward(values);
        var w = GradientCheck.Random(rng, tape.Value(seedTensor).Length);
        var analytic = tape.Backward(new Dictionary<string, double[]> { [seedTensor] = w });
        double Loss()
        {
            tape.Forward(values);
            var v = tape.Value(seedTensor);
            return v.Select((e, i) => e * w[i]).Sum();
        }
        const double h = 1e-5;
        foreach (var (name, xs) in values)
        {
            double diff = 0, norm = 0;
            for (int i = 0; i < xs.Length; i++)
            {
                double keep = xs[i];
                xs[i] = keep + h; double plus = Loss();
                xs[i] = keep - h; double minus = Loss();
                xs[i] = keep;
                double fd = (plus - minus) / (2 * h);
                diff += Math.Pow(fd - analytic[name][i], 2);
                norm += fd * fd;
            }
            double err = Math.Sqrt(diff / Math.Max(norm, 1e-300));
            output.WriteLine($"{name}: relative error {err:E2}");
            Assert.True(norm > 0, $"{name}: zero gradient proves nothing");
            Assert.True(err <= Tolerance, $"{name}: relative error {err:E3}");
        }
    }

    private static Dictionary<string, double[]> Values(TestGraph g, params string[] parameters)
    {
        var rng = new Random(4);
        var v = g.Shapes.ToDictionary(kv => kv.Key, kv => GradientCheck.Random(rng, (int)Tensor.ElementCount(kv.Value)));
        foreach (var p in parameters) v[p] = g.Graph.Initializers[p].F.Select(f => (double)f).ToArray();
        return v;
    }

    [Fact]
    public void Linear_WeightAndBias_AsParameters()
    {
        var g = new TestGraph();
        string w = g.Weight([5, 4]), b = g.Weight([5]);
        var y = g.Fused("Gelu", [g.Fused("Linear", [g.Input("x", 2, 3, 4), w, b])]);
        g.Outputs(y);
        Check(new Tape<double>(g.Graph, g.Shapes, [w, b]), Values(g, w, b), y);
    }

    [Fact]
    public void PatchEmbed_WeightAndBias_AsParameters()
    {
        var g = new TestGraph();
        string w = g.Weight([5, 2, 2, 2]), b = g.Weight([5]);
        var y = g.Fused("PatchEmbed", [g.Input("x", 2, 2, 4, 6), w, b], ("kernel_shape", Attribute.Of(new long[] { 2, 2 })));
        g.Outputs(y);
        Check(new Tape<double>(g.Graph, g.Shapes, [w, b]), Values(g, w, b), y);
    }

    /// <summary>A smooth stand-in for fake quantisation: y = x + 0.3·x².</summary>
    private sealed class Square : IEdgeTransform<double>
    {
        public int Calls;
        public double[] Forward(double[] x) { Calls++; return x.Select(v => v + 0.3 * v * v).ToArray(); }
        public void Backward(double[] x, double[] dy, double[] dx) { for (int i = 0; i < x.Length; i++) dx[i] += dy[i] * (1 + 0.6 * x[i]); }
    }

    [Fact]
    public void EdgeTransform_OnOneOfTwoReaders_IsDifferentiatedThrough_AndComputedOncePerForward()
    {
        var g = new TestGraph();
        string wa = g.Weight([3, 4]), wb = g.Weight([3, 4]), wc = g.Weight([3, 4]);
        string x = g.Fused("Gelu", [g.Input("x", 2, 4)]);
        string a = g.Fused("Linear", [x, wa]), bb = g.Fused("Linear", [x, wb]), c = g.Fused("Linear", [x, wc]);
        string y = g.Op("Add", [g.Op("Add", [a, bb]), c]);
        g.Outputs(y);
        var tape = new Tape<double>(g.Graph, g.Shapes, [wa]);
        var square = new Square();
        var readers = g.Graph.Nodes.Where(n => n.OpType == "Linear" && n.Inputs[1] != wb).Select(n => (n.Name, 0)).ToList();
        tape.SetEdgeTransform(x, readers, square);
        var values = Values(g, wa);
        Check(tape, values, y);
        square.Calls = 0;
        tape.Forward(values);
        Assert.Equal(1, square.Calls);   // two transformed readers, one evaluation
        // pruned backward: only ∂W asked for gives the same ∂W
        var seed = new Dictionary<string, double[]> { [y] = GradientCheck.Random(new Random(1), tape.Value(y).Length) };
        var full = tape.Backward(seed)[wa];
        var pruned = tape.Backward(seed, [wa]);
        Assert.Single(pruned);
        Assert.Equal(full, pruned[wa]);
    }

    [Fact]
    public void TransformNet_StartsAsIdentity_AndItsGradientMatchesFiniteDifferences()
    {
        var net = new TransformNet<double>(2, 4, 5, hidden: 3, seed: 1);
        var rng = new Random(3);
        var x = GradientCheck.Random(rng, 2 * 2 * 4 * 5);
        Assert.Equal(x, net.Forward(x));
        for (int i = 0; i < net.Parameters.Length; i++) net.Parameters[i] = 0.5 * (2 * rng.NextDouble() - 1);
        var w = GradientCheck.Random(rng, x.Length);
        net.Forward(x);
        var analytic = net.Backward(w);
        double Loss() => net.Forward(x).Select((v, i) => v * w[i]).Sum();
        const double h = 1e-6;
        double diff = 0, norm = 0;
        for (int i = 0; i < net.Parameters.Length; i++)
        {
            double keep = net.Parameters[i];
            net.Parameters[i] = keep + h; double plus = Loss();
            net.Parameters[i] = keep - h; double minus = Loss();
            net.Parameters[i] = keep;
            double fd = (plus - minus) / (2 * h);
            diff += Math.Pow(fd - analytic[i], 2);
            norm += fd * fd;
        }
        double err = Math.Sqrt(diff / norm);
        output.WriteLine($"relative error {err:E2}");
        Assert.True(err <= Tolerance, $"relative error {err:E3}");
    }

    [Fact]
    public void Log2ProbabilityCodes_AreThePowersOfRootTwo_Renormalised()
    {
        var row = new[] { 0.5, 0.25, 0.125, 0.125 };
        new Log2ProbabilityQuantizer<double>("logsqrt2", renormalize: false).Apply(row);
        Assert.Equal(new[] { 0.5, 0.25, 0.125, 0.125 }, row);   // exact powers of √2 keep their value
        var r2 = new[] { 0.6, 0.3, 0.1, 1e-6 };
        new Log2ProbabilityQuantizer<double>("logsqrt2", renormalize: true).Apply(r2);
        // codes round(−2·log2 p): 1, 3, 7, 40 (→ 0)
        double s = Math.Pow(2, -0.5) + Math.Pow(2, -1.5) + Math.Pow(2, -3.5);
        Assert.Equal(Math.Pow(2, -0.5) / s, r2[0], 12);
        Assert.Equal(0, r2[3]);
        Assert.Equal(1, r2.Sum(), 12);
    }
}
