using EdgeNorm.Calibration.Float;
using EdgeNorm.Model.Ir;
using Xunit;

namespace EdgeNorm.Onnx.Tests;

/// <summary>Runs small graphs through the float executor and compares outputs, for the fusion tests.</summary>
internal static class FusionNumerics
{
    /// <summary>Random inputs for every graph input; the symbolic batch is 2, integer inputs get 0…3.</summary>
    public static Dictionary<string, Tensor> RandomFeeds(Graph g, int seed, int batch = 2)
    {
        var rng = new Random(seed);
        var feeds = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var vi in g.Inputs)
        {
            if (g.Initializers.ContainsKey(vi.Name)) continue;
            int[] shape = vi.Shape.Select(d => d.IsFixed ? (int)d.Size : batch).ToArray();
            long n = Tensor.ElementCount(shape);
            feeds[vi.Name] = vi.DataType == DataType.Float32
                ? Tensor.FromFloats(shape, Enumerable.Range(0, (int)n).Select(_ => (float)(rng.NextDouble() * 4 - 2)).ToArray())
                : Tensor.FromLongs(vi.DataType, shape, Enumerable.Range(0, (int)n).Select(_ => (long)rng.Next(4)).ToArray());
        }
        return feeds;
    }

    public static Dictionary<string, Tensor> Run(Graph g, int seed = 1) => Run(g, RandomFeeds(g, seed));

    public static Dictionary<string, Tensor> Run(Graph g, IReadOnlyDictionary<string, Tensor> feeds) => new FloatExecutor(g).Run(feeds);

    public static void AssertClose(Dictionary<string, Tensor> expected, Dictionary<string, Tensor> actual, double tol)
    {
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (name, e) in expected)
        {
            var a = actual[name];
            Assert.Equal(e.Shape, a.Shape);
            var ef = e.F;
            var af = a.F;
            for (int i = 0; i < ef.Length; i++)
            {
                double diff = Math.Abs(ef[i] - af[i]);
                if (!(diff <= tol))
                    Assert.Fail($"output '{name}' differs first at flat index {i}: expected {ef[i]}, got {af[i]} (|diff| {diff:g3} > {tol:g3})");
            }
        }
    }
}
