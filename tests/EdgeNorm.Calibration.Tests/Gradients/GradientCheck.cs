using EdgeNorm.Calibration.Autodiff;
using EdgeNorm.Model.Ir;

namespace EdgeNorm.Calibration.Tests.Gradients;

/// <summary>
/// Analytic gradients of the tape against central finite differences. The loss is L = Σ_t ⟨w_t, t⟩ over the seeded
/// tensors t with fixed random weights w_t (so every output element matters); the error is
/// ‖g_analytic − g_fd‖₂ / max(‖g_analytic‖₂, ‖g_fd‖₂) over all input elements.
/// </summary>
internal static class GradientCheck
{
    public static double RelativeError(Graph graph, IReadOnlyDictionary<string, int[]> shapes, IReadOnlyDictionary<string, double[]>? inputs = null,
        string[]? seeds = null, double h = 1e-4, int seed = 7)
    {
        var rng = new Random(seed);
        var tape = new Tape<double>(graph, shapes);
        var x = inputs?.ToDictionary(kv => kv.Key, kv => (double[])kv.Value.Clone())
            ?? shapes.ToDictionary(kv => kv.Key, kv => Random(rng, (int)Tensor.ElementCount(kv.Value)));
        seeds ??= graph.Outputs.Select(o => o.Name).ToArray();
        tape.Forward(x);
        var w = seeds.ToDictionary(s => s, s => Random(rng, tape.Value(s).Length));
        var analytic = tape.Backward(w);

        double Loss()
        {
            tape.Forward(x);
            double l = 0;
            foreach (var (s, ws) in w)
            {
                var v = tape.Value(s);
                for (int i = 0; i < v.Length; i++) l += ws[i] * v[i];
            }
            return l;
        }

        double diff = 0, na = 0, nf = 0;
        foreach (var (name, xs) in x)
        {
            var g = analytic[name];
            for (int i = 0; i < xs.Length; i++)
            {
                double keep = xs[i];
                xs[i] = keep + h;
                double plus = Loss();
                xs[i] = keep - h;
                double minus = Loss();
                xs[i] = keep;
                double fd = (plus - minus) / (2 * h);
                diff += (fd - g[i]) * (fd - g[i]);
                na += g[i] * g[i];
                nf += fd * fd;
            }
        }
        if (na == 0 && nf == 0) throw new InvalidOperationException("the gradient is identically zero: the check would prove nothing");
        return Math.Sqrt(diff) / Math.Max(Math.Sqrt(na), Math.Sqrt(nf));
    }

    public static double[] Random(Random rng, int n)
    {
        var v = new double[n];
        for (int i = 0; i < n; i++) v[i] = 2 * rng.NextDouble() - 1;
        return v;
    }
}
