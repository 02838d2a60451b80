namespace EdgeNorm.Runtime;

/// <summary>
/// Per-op timing of a session (like ONNX Runtime's profiling): for each op of the plan, in execution order, how often it
/// ran and the <see cref="System.Diagnostics.Stopwatch"/> ticks it took. Integer counters only — the runtime stays
/// float-free; callers divide by <see cref="System.Diagnostics.Stopwatch.Frequency"/>. Off unless
/// <see cref="InferenceSession.EnableProfiling"/> is called; recording allocates nothing.
/// </summary>
public sealed class OpProfile
{
    private readonly long[] _ticks;
    private readonly long[] _calls;

    internal OpProfile(string[] names)
    {
        OpNames = names;
        _ticks = new long[names.Length];
        _calls = new long[names.Length];
    }

    /// <summary>The ops' node names, in execution order.</summary>
    public IReadOnlyList<string> OpNames { get; }

    /// <summary>Stopwatch ticks spent in op <paramref name="index"/> since the last <see cref="Reset"/>.</summary>
    public long Ticks(int index) => _ticks[index];

    /// <summary>Runs of op <paramref name="index"/> since the last <see cref="Reset"/>.</summary>
    public long Calls(int index) => _calls[index];

    /// <summary>Zeroes the counters (e.g. after warm-up).</summary>
    public void Reset()
    {
        Array.Clear(_ticks);
        Array.Clear(_calls);
    }

    internal void Record(int index, long ticks)
    {
        _ticks[index] += ticks;
        _calls[index]++;
    }
}
