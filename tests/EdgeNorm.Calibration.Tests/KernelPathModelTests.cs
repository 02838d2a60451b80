using EdgeNorm.Runtime;
using EdgeNorm.Runtime.Platform;
using Xunit;

namespace EdgeNorm.Calibration.Tests;

/// <summary>
/// A whole calibrated model (the PRepBN ViT) gives the same output bytes on every kernel path usable here and for
/// any thread count, and allocates nothing per inference after warm-up with worker threads running.
/// </summary>
// Not parallel with other classes: the allocation test counts process-wide bytes (worker threads included), so any
// concurrently running test would be counted too.
[Collection(nameof(ProcessWideAllocationCollection))]
public class KernelPathModelTests
{
    private static readonly Lazy<EdgeNormModel> Model = new(() => EdgeNormModel.Load(EndToEnd.Calibrate("vit_prepbn")));

    private static float[] Run(KernelPath path, int threads, int batch)
    {
        using var session = Model.Value.CreateSession(new SessionOptions { MaxBatch = batch, KernelPath = path, Threads = threads });
        Assert.Equal(path, session.KernelPath);
        Assert.Equal(threads, session.Threads);
        var y = new float[batch * 10];
        session.Run(EndToEnd.Data.Value.X.F.AsSpan(0, batch * 64), y);
        return y;
    }

    [Fact]
    public void EveryPathAndThreadCount_GivesTheScalarBytes()
    {
        var expected = Run(KernelPath.Scalar, 1, 16);
        foreach (var path in KernelPaths.Usable)
            foreach (int threads in (ReadOnlySpan<int>)[1, 2, 3])
            {
                var actual = Run(path, threads, 16);
                for (int i = 0; i < expected.Length; i++)
                    if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                        Assert.Fail($"{KernelPaths.Name(path)} × {threads} threads: output {i} is {actual[i]}, scalar gives {expected[i]}");
            }
    }

    [Fact]
    public void Run_WithThreads_AllocatesNothingAfterWarmUp()
    {
        using var session = Model.Value.CreateSession(new SessionOptions { MaxBatch = 8, Threads = 2 });
        var x = EndToEnd.Data.Value.X.F.AsSpan(0, 8 * 64).ToArray();
        var y = new float[80];
        session.Run(x, y);
        session.Run(x, y);
        // The calling thread is measured exactly, in every window. The worker's bytes are only visible process-wide, where
        // the runtime's own threads (tier-up, finalizers of earlier tests' objects) sometimes allocate too: so the
        // process-wide count must be 0 in at least one window of 5 runs. An allocation in every Run would show in every window.
        long callerBytes = 0, fewestProcessBytes = long.MaxValue;
        for (int window = 0; window < 20 && fewestProcessBytes != 0; window++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            long processBefore = GC.GetTotalAllocatedBytes(precise: true), callerBefore = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 5; i++) session.Run(x, y);
            callerBytes += GC.GetAllocatedBytesForCurrentThread() - callerBefore;
            fewestProcessBytes = Math.Min(fewestProcessBytes, GC.GetTotalAllocatedBytes(precise: true) - processBefore);
        }
        Assert.Equal(0, callerBytes);
        Assert.Equal(0, fewestProcessBytes);
    }

    [Fact]
    public void Dispose_StopsTheWorkers()
    {
        var session = Model.Value.CreateSession(new SessionOptions { Threads = 3 });
        session.Run(new float[64], new float[10]);
        session.Dispose();
        Assert.Throws<ObjectDisposedException>(() => session.Run(new float[64], new float[10]));
    }

    [Fact]
    public void UnusableOrBadOptions_AreConfigurationErrors()
    {
        Assert.Throws<SessionConfigurationException>(() => Model.Value.CreateSession(new SessionOptions { Threads = 0 }));
        var missing = Enum.GetValues<KernelPath>().FirstOrDefault(p => !KernelPaths.IsUsable(p), KernelPath.Scalar);
        if (missing != KernelPath.Scalar)
            Assert.Throws<SessionConfigurationException>(() => Model.Value.CreateSession(new SessionOptions { KernelPath = missing }));
    }
}

/// <summary>Runs its members alone (no other test class in parallel), for process-wide measurements.</summary>
[CollectionDefinition(nameof(ProcessWideAllocationCollection), DisableParallelization = true)]
public sealed class ProcessWideAllocationCollection;
