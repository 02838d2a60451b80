using EdgeNorm.Runtime;
using Xunit;

namespace EdgeNorm.Calibration.Tests;

/// <summary>
/// One loaded model shared by many sessions on many threads (docs/reliability.md): every output bit-identical to a
/// single-threaded run. Bounded: 8 threads × 1000 inferences of the small digits ViT.
/// </summary>
public class ConcurrencyStressTests
{
    private const int Threads = 8, Iterations = 1000, Samples = 32;

    private static readonly Lazy<byte[]> Image = new(() => EndToEnd.Calibrate("vit_prepbn"));

    [Theory]
    [InlineData(1)]
    [InlineData(2)] // each session with a worker thread too (SessionOptions.Threads): 16 threads in all
    public void SharedModel_ManyThreads_OutputsIdenticalToSingleThreaded(int sessionThreads)
    {
        var model = EdgeNormModel.Load(Image.Value);
        var (x, expected) = Reference(model);
        int mismatches = 0, runs = 0;
        using var start = new Barrier(Threads);
        var threads = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            using var session = model.CreateSession(new SessionOptions { MaxBatch = 2, Threads = sessionThreads });
            var y = new float[20];
            start.SignalAndWait();
            for (int i = 0; i < Iterations; i++)
            {
                int s = (i * 7 + t * 13) % Samples;
                int batch = i % 10 == 0 && s + 1 < Samples ? 2 : 1; // some batch-2 calls: arena offsets differ
                session.Run(x.AsSpan(s * 64, batch * 64), y.AsSpan(0, batch * 10));
                if (!y.AsSpan(0, batch * 10).SequenceEqual(expected.AsSpan(s * 10, batch * 10))) Interlocked.Increment(ref mismatches);
                Interlocked.Increment(ref runs);
            }
        })).ToArray();
        foreach (var th in threads) th.Start();
        foreach (var th in threads) Assert.True(th.Join(TimeSpan.FromMinutes(3)), "a stress thread did not finish in 3 minutes");
        Assert.Equal(Threads * Iterations, runs);
        Assert.Equal(0, mismatches);
    }

    [Fact]
    public void DroppingTheModelWhileSessionsRun_IsSafe()
    {
        // Decision (docs/reliability.md): models and sessions own only managed memory (the file is closed after
        // Load), so there is nothing to dispose; a session keeps its model alive. Collecting while runs are in flight
        // must change nothing.
        var (x, expected) = Reference(EdgeNormModel.Load(Image.Value));
        var session = EdgeNormModel.Load(Image.Value).CreateSession(); // the only reference to this model
        var y = new float[10];
        using var stop = new CancellationTokenSource();
        var collector = new Thread(() => { while (!stop.IsCancellationRequested) { GC.Collect(); GC.WaitForPendingFinalizers(); } });
        collector.Start();
        for (int i = 0; i < 200; i++)
        {
            int s = i % Samples;
            session.Run(x.AsSpan(s * 64, 64), y);
            Assert.Equal(expected.AsSpan(s * 10, 10).ToArray(), y);
        }
        stop.Cancel();
        collector.Join();
    }

    [Fact]
    public void DisposeWhileRunning_IsRefused_AndCallsAfterDispose_AreObjectDisposed()
    {
        var model = EdgeNormModel.Load(Image.Value);
        var (x, expected) = Reference(model);
        var session = model.CreateSession(new SessionOptions { Threads = 2 });
        var busy = typeof(InferenceSession).GetField("_busy", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!;
        busy.SetValue(session, 1); // as if another thread were inside Run
        Assert.Throws<ConcurrentSessionUseException>(session.Dispose);
        busy.SetValue(session, 0);
        var y = new float[10];
        session.Run(x.AsSpan(0, 64), y); // the refused Dispose left the session working
        Assert.Equal(expected.AsSpan(0, 10).ToArray(), y);
        session.Dispose();
        session.Dispose(); // idempotent
        Assert.Throws<ObjectDisposedException>(() => session.Run(x.AsSpan(0, 64), y));
    }

    [Fact]
    public void DisposeRacingRuns_EitherRefusedOrAfterTheRun_NeverCorrupts()
    {
        var model = EdgeNormModel.Load(Image.Value);
        var (x, expected) = Reference(model);
        for (int round = 0; round < 20; round++)
        {
            var session = model.CreateSession(new SessionOptions { Threads = 2 });
            int bad = 0;
            var runner = new Thread(() =>
            {
                var y = new float[10];
                for (int i = 0; i < 50; i++)
                {
                    try { session.Run(x.AsSpan((i % Samples) * 64, 64), y); }
                    catch (ObjectDisposedException) { return; }
                    catch (ConcurrentSessionUseException) { continue; } // Dispose held the flag for an instant
                    if (!y.AsSpan().SequenceEqual(expected.AsSpan((i % Samples) * 10, 10))) Interlocked.Increment(ref bad);
                }
            });
            runner.Start();
            while (true)
            {
                try { session.Dispose(); break; }
                catch (ConcurrentSessionUseException) { Thread.Yield(); }
            }
            Assert.True(runner.Join(TimeSpan.FromMinutes(1)));
            Assert.Equal(0, bad);
        }
    }

    private static (float[] X, float[] Expected) Reference(EdgeNormModel model)
    {
        var x = EndToEnd.Data.Value.X.F.AsSpan(0, Samples * 64).ToArray();
        var expected = new float[Samples * 10];
        var session = model.CreateSession();
        for (int s = 0; s < Samples; s++) session.Run(x.AsSpan(s * 64, 64), expected.AsSpan(s * 10, 10));
        return (x, expected);
    }
}
