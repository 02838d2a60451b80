using EdgeNorm.Calibration.Float;
using EdgeNorm.Onnx.Fusion;
using Xunit;

namespace EdgeNorm.Onnx.Tests;

public class FusionExperimentTmp
{
    [Theory]
    [InlineData("vit_prepbn")]
    [InlineData("vit_l1")]
    [InlineData("vit_ln_op17")]
    public void PerPass(string model)
    {
        var data = FixtureData.Load(model);
        var plain = OnnxModelLoader.Load(data.ModelPath);
        var unfused = new FloatExecutor(plain);
        var batch = data.Batch(0, 512);
        var u = unfused.Run(batch)["logits"].F;
        TestContext.Current.TestOutputHelper!.WriteLine($"{model}: max|logit| {u.Max(Math.Abs)}");
        foreach (var pass in GraphFuser.DefaultPasses())
        {
            var g = OnnxModelLoader.Load(data.ModelPath);
            GraphFuser.Fuse(g, null, [pass]);
            var f = new FloatExecutor(g).Run(batch)["logits"].F;
            double m = 0; for (int i = 0; i < f.Length; i++) m = Math.Max(m, Math.Abs(f[i] - u[i]));
            TestContext.Current.TestOutputHelper!.WriteLine($"{model} {pass.Name}: {m:e2}");
        }
    }
}
