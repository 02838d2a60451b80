using System.Reflection;
using EdgeNorm.Model;
using EdgeNorm.Runtime;
using EdgeNorm.Tests;
using Xunit;

namespace EdgeNorm.Calibration.Tests;

/// <summary>The session contract: no allocation per Run after warm-up, clear input errors, concurrent use refused.</summary>
public class SessionTests
{
    private static readonly Lazy<EdgeNormModel> Model = new(() => EdgeNormModel.Load(EndToEnd.Calibrate("vit_prepbn")));

    [Fact]
    public void Run_AllocatesNothingAfterWarmUp()
    {
        var session = Model.Value.CreateSession(new SessionOptions { MaxBatch = 8 });
        var x = EndToEnd.Data.Value.X.F.AsSpan(0, 8 * 64).ToArray();
        var y = new float[80];
        session.Run(x.AsSpan(0, 64), y.AsSpan(0, 10));
        // Warm-up = the measured calls themselves, enough times for tiered JIT to settle (call counting and the
        // tier-1 rewrite of hot methods happen in the first ~30 calls and are not per-inference costs).
        for (int i = 0; i < 60; i++)
        {
            session.Run(x, y);
            session.Run(x.AsSpan(0, 3 * 64), y.AsSpan(0, 30));
        }
        Thread.Sleep(200); // let background tier-1 compilation install its code
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 5; i++)
        {
            session.Run(x, y);
            session.Run(x.AsSpan(0, 3 * 64), y.AsSpan(0, 30));
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void WrongLengths_AreClearErrors()
    {
        var session = Model.Value.CreateSession(new SessionOptions { MaxBatch = 2 });
        var y = new float[10];
        var e = Assert.Throws<InputShapeException>(() => session.Run(new float[63], y));
        Assert.Contains("[1,8,8]", e.Message);
        Assert.Throws<InputShapeException>(() => session.Run(new float[64], new float[11]));
        Assert.Throws<InputShapeException>(() => session.Run(new float[3 * 64], new float[30]));
        var nan = new float[64];
        nan[5] = float.NaN;
        Assert.Throws<InputShapeException>(() => session.Run(nan, y));
        Assert.IsAssignableFrom<EdgeNormException>(e);
    }

    [Fact]
    public void ConcurrentUse_IsRefused()
    {
        var session = Model.Value.CreateSession();
        var busy = typeof(InferenceSession).GetField("_busy", BindingFlags.NonPublic | BindingFlags.Instance)!;
        busy.SetValue(session, 1); // as if another thread were inside Run
        Assert.Throws<ConcurrentSessionUseException>(() => session.Run(new float[64], new float[10]));
        busy.SetValue(session, 0);
        session.Run(new float[64], new float[10]);
    }

    [Fact]
    public void Sessions_ShareOneModelAcrossThreads()
    {
        var x = EndToEnd.Data.Value.X.F.AsSpan(0, 64).ToArray();
        var expected = new float[10];
        Model.Value.CreateSession().Run(x, expected);
        Parallel.For(0, 4, _ =>
        {
            var s = Model.Value.CreateSession();
            var y = new float[10];
            for (int i = 0; i < 20; i++) s.Run(x, y);
            Assert.Equal(expected, y);
        });
    }
}
