using EdgeNorm.Model;
using EdgeNorm.Runtime;
using Xunit;

namespace EdgeNorm.Calibration.Tests;

/// <summary>Input validation at the API (docs/security.md rule 7): every mismatch is an <see cref="InputShapeException"/>.</summary>
public class InputValidationTests
{
    private static readonly Lazy<EdgeNormModel> Model = new(() => EdgeNormModel.Load(EndToEnd.Calibrate("vit_prepbn")));

    private static float[] Sample(int i = 0) => EndToEnd.Data.Value.X.F.AsSpan(i * 64, 64).ToArray();

    [Fact]
    public void NaN_IsRefused_NamingTheInputAndTheElementIndex()
    {
        var session = Model.Value.CreateSession(new SessionOptions { MaxBatch = 2 });
        var x = new float[128];
        x[64 + 7] = float.NaN;
        var e = Assert.Throws<InputShapeException>(() => session.Run(x, new float[20]));
        Assert.Contains($"'{Model.Value.Inputs[0].Name}'", e.Message);
        Assert.Contains("element 71", e.Message);
    }

    [Fact]
    public void Infinity_SaturatesLikeTheLargestFiniteValue()
    {
        var session = Model.Value.CreateSession();
        var inf = Sample();
        var max = Sample();
        inf[3] = float.PositiveInfinity; max[3] = float.MaxValue;
        inf[9] = float.NegativeInfinity; max[9] = float.MinValue;
        var a = new float[10];
        var b = new float[10];
        session.Run(inf, a);
        session.Run(max, b);
        Assert.Equal(b, a);
        Assert.All(a, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void EmptyInput_IsRefused()
    {
        var session = Model.Value.CreateSession();
        Assert.Throws<InputShapeException>(() => session.Run([], new float[10]));
        Assert.Throws<InputShapeException>(() => session.SetInput(Model.Value.Inputs[0].Name, ReadOnlySpan<float>.Empty));
    }

    [Fact]
    public void BatchAboveMaxBatch_IsRefused_NamingMaxBatch()
    {
        var session = Model.Value.CreateSession(new SessionOptions { MaxBatch = 4 });
        var e = Assert.Throws<InputShapeException>(() => session.Run(new float[5 * 64], new float[50]));
        Assert.Contains("MaxBatch 4", e.Message);
        Assert.Throws<InputShapeException>(() => session.Run(5));
        Assert.Throws<InputShapeException>(() => session.Run(0));
    }

    [Fact]
    public void HugeMaxBatch_IsRefusedAtSessionCreation_WithoutAllocating()
    {
        var model = Model.Value; // loaded outside the measured region: only session creation is counted
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.ThrowsAny<EdgeNormException>(() => model.CreateSession(new SessionOptions { MaxBatch = int.MaxValue }));
        Assert.Contains("MaxBatch", e.Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16 << 20);
        Assert.Throws<ArgumentOutOfRangeException>(() => Model.Value.CreateSession(new SessionOptions { MaxBatch = 0 }));
    }

    [Fact]
    public void WrongNameOrElementType_IsRefused()
    {
        var session = Model.Value.CreateSession();
        string name = Model.Value.Inputs[0].Name;
        Assert.Contains("no input 'nope'", Assert.Throws<InputShapeException>(() => session.SetInput("nope", Sample())).Message);
        Assert.Contains("int64", Assert.Throws<InputShapeException>(() => session.SetInput(name, new long[64])).Message);
        Assert.Throws<InputShapeException>(() => session.GetOutput(Model.Value.Outputs[0].Name, new float[10])); // no run yet
        session.SetInput(name, Sample());
        session.Run(1);
        Assert.Throws<InputShapeException>(() => session.GetOutput("nope", new float[10]));
        Assert.Throws<InputShapeException>(() => session.GetOutput(Model.Value.Outputs[0].Name, new float[11]));
    }

    [Fact]
    public void AfterARefusedCall_TheSessionStillWorks()
    {
        var session = Model.Value.CreateSession();
        var good = new float[10];
        session.Run(Sample(1), good);
        var bad = Sample(1);
        bad[0] = float.NaN;
        Assert.Throws<InputShapeException>(() => session.Run(bad, new float[10]));
        var again = new float[10];
        session.Run(Sample(1), again);
        Assert.Equal(good, again);
    }
}
