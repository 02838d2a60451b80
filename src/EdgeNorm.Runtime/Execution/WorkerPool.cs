using System.Runtime.ExceptionServices;

namespace EdgeNorm.Runtime.Execution;

/// <summary>Work split into a fixed number of parts; part p of P must not depend on P for its results.</summary>
internal interface IParallelWork
{
    void Execute(int part, int parts);
}

/// <summary>
/// A session's threads: <c>threads − 1</c> workers started with the session plus the calling thread, which runs part 0.
/// Idle workers block in <see cref="Monitor.Wait(object)"/> (no spinning); a call allocates nothing. Disposal stops and
/// joins the workers. One <see cref="Run"/> at a time (the session guarantees it).
/// </summary>
internal sealed class WorkerPool : IDisposable
{
    private readonly Thread[] _workers;
    private readonly object _gate = new();
    private IParallelWork? _work;
    private long _generation;
    private int _pending;
    private bool _stopping;
    private Exception? _failure;

    public WorkerPool(int threads)
    {
        if (threads < 1) throw new ArgumentOutOfRangeException(nameof(threads), threads, "at least one thread");
        Threads = threads;
        _workers = new Thread[threads - 1];
        for (int i = 0; i < _workers.Length; i++)
        {
            _workers[i] = new Thread(Loop) { IsBackground = true, Name = $"edgenorm-worker-{i + 1}" };
            _workers[i].Start(i + 1);
        }
    }

    /// <summary>Threads that execute a <see cref="Run"/> (workers + the caller).</summary>
    public int Threads { get; }

    /// <summary>Runs every part of <paramref name="work"/> (part 0 on the calling thread) and returns when all are done.</summary>
    public void Run(IParallelWork work)
    {
        if (_workers.Length == 0)
        {
            work.Execute(0, 1);
            return;
        }
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_stopping, this);
            _work = work;
            _pending = _workers.Length;
            _generation++;
            Monitor.PulseAll(_gate);
        }
        Exception? own = null;
        try { work.Execute(0, Threads); }
        catch (Exception e) { own = e; }
        Exception? failure;
        lock (_gate)
        {
            while (_pending > 0) Monitor.Wait(_gate);
            _work = null;
            failure = _failure;
            _failure = null;
        }
        if (own is not null) ExceptionDispatchInfo.Throw(own);
        if (failure is not null) ExceptionDispatchInfo.Throw(failure);
    }

    private void Loop(object? index)
    {
        int part = (int)index!;
        long seen = 0;
        while (true)
        {
            IParallelWork work;
            lock (_gate)
            {
                while (_generation == seen && !_stopping) Monitor.Wait(_gate);
                if (_generation == seen) return; // stopping, and no call left to finish
                seen = _generation;
                work = _work!;
            }
            try { work.Execute(part, Threads); }
            catch (Exception e)
            {
                lock (_gate) _failure ??= e;
            }
            lock (_gate)
            {
                if (--_pending == 0) Monitor.PulseAll(_gate);
            }
        }
    }

    /// <summary>Stops the workers (after a running call finishes) and waits for them.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_stopping) return;
            _stopping = true;
            Monitor.PulseAll(_gate);
        }
        foreach (var t in _workers) t.Join();
    }
}
