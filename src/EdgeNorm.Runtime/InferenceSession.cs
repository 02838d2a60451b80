using EdgeNorm.Model.Format;
using EdgeNorm.Model.Ir;
using EdgeNorm.Runtime.Execution;

namespace EdgeNorm.Runtime;

/// <summary>
/// Runs a model. Owns one arena sized at creation; after the first call nothing is allocated per inference. Serves
/// one call at a time: concurrent use is detected and refused with <see cref="ConcurrentSessionUseException"/>.
/// Single-input/-output float models: <see cref="Run(ReadOnlySpan{float}, Span{float})"/>. Several or integer inputs:
/// <see cref="SetInput(string, ReadOnlySpan{float})"/> / <see cref="SetInput(string, ReadOnlySpan{long})"/> for each,
/// then <see cref="Run(int)"/>, then <see cref="GetOutput(string, Span{float})"/>.
/// </summary>
public sealed class InferenceSession : IDisposable
{
    private readonly Plan _plan;
    private readonly long[] _offsets;
    private readonly byte[] _arena;
    private readonly byte[] _scratch;
    private readonly Kernels.KernelSet _kernels;
    private int _busy;
    private int _batch = -1;

    /// <summary>The model this session runs.</summary>
    public EdgeNormModel Model { get; }

    /// <summary>The largest batch per call.</summary>
    public int MaxBatch { get; }

    internal InferenceSession(EdgeNormModel model, SessionOptions options)
    {
        if (options.MaxBatch < 1) throw new ArgumentOutOfRangeException(nameof(options), options.MaxBatch, "MaxBatch must be at least 1");
        Model = model;
        _plan = model.Plan;
        MaxBatch = options.MaxBatch;
        long arena, scratch;
        // Sizes are computed checked: a MaxBatch whose arena does not even fit in 64 bits is the same user error.
        try { _offsets = _plan.Layout(MaxBatch, out arena, out scratch); }
        catch (OverflowException)
        {
            throw new InputShapeException($"MaxBatch {MaxBatch} needs an arena larger than 2^63 bytes; use a smaller MaxBatch");
        }
        if (arena > Array.MaxLength || scratch > Array.MaxLength)
            throw new InputShapeException($"MaxBatch {MaxBatch} needs an arena of {arena} bytes, more than one array holds");
        _arena = new byte[arena];
        _scratch = new byte[Math.Max(scratch, 64)];
        _kernels = Kernels.KernelSet.Create(options.KernelPath, options.Threads);
    }

    /// <summary>The kernel path this session runs (chosen once at creation).</summary>
    public Platform.KernelPath KernelPath => _kernels.Path;

    /// <summary>Threads per inference.</summary>
    public int Threads => _kernels.Threads;

    /// <summary>
    /// Stops the session's worker threads (if <see cref="SessionOptions.Threads"/> &gt; 1). Idempotent. Disposing while
    /// a call runs on another thread is refused with <see cref="ConcurrentSessionUseException"/> (the run is not
    /// disturbed); any call after Dispose throws <see cref="ObjectDisposedException"/>.
    /// </summary>
    public void Dispose()
    {
        int state = Interlocked.CompareExchange(ref _busy, Disposed, Idle);
        if (state == Disposed) return;
        if (state == Busy) throw new ConcurrentSessionUseException();
        _kernels.Dispose();
    }

    /// <summary>Per-op timing, once <see cref="EnableProfiling"/> was called (bench --profile); null otherwise.</summary>
    public OpProfile? Profile { get; private set; }

    /// <summary>Starts recording per-op time in <see cref="Profile"/> (a Stopwatch read around each op from now on).</summary>
    public OpProfile EnableProfiling() => Profile ??= new OpProfile(Array.ConvertAll(_plan.Ops, op => op.Name));

    /// <summary>Bytes of the activation arena (+ scratch).</summary>
    public long ArenaBytes => _arena.Length + _scratch.Length;

    /// <summary>
    /// One float input → one float output (both quantised at the boundary). The batch is input.Length divided by the
    /// elements of one sample; output must hold exactly that many output samples.
    /// </summary>
    public void Run(ReadOnlySpan<float> input, Span<float> output)
    {
        if (_plan.Inputs.Length != 1 || _plan.Outputs.Length != 1)
            throw new InputShapeException($"this model has {_plan.Inputs.Length} inputs and {_plan.Outputs.Length} outputs; use SetInput/Run(batch)/GetOutput");
        Enter();
        try
        {
            int batch = BatchOf(0, input.Length);
            QuantizeInput(0, input);
            Execute(batch);
            DequantizeOutput(0, output, batch);
        }
        finally { Exit(); }
    }

    /// <summary>Sets a float (quantised) input by name; the batch follows from its length.</summary>
    public void SetInput(string name, ReadOnlySpan<float> values)
    {
        Enter();
        try
        {
            int i = InputIndex(name);
            BatchOf(i, values.Length);
            QuantizeInput(i, values);
        }
        finally { Exit(); }
    }

    /// <summary>Sets an integer input (e.g. int64 token ids or a 0/1 mask) by name.</summary>
    public void SetInput(string name, ReadOnlySpan<long> values)
    {
        Enter();
        try
        {
            int i = InputIndex(name);
            int batch = BatchOf(i, values.Length);
            var v = _plan.Inputs[i];
            if (v.Quant is not null || v.DType != DataType.Int64)
                throw new InputShapeException($"input '{name}' takes {v.ExternalDType.Name()}, not int64");
            var dst = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(Slot(_plan.InputSlots[i], batch));
            values.CopyTo(dst);
        }
        finally { Exit(); }
    }

    /// <summary>Runs the graph on the inputs set before, for <paramref name="batch"/> samples.</summary>
    public void Run(int batch)
    {
        Enter();
        try
        {
            if (batch < 1 || batch > MaxBatch) throw new InputShapeException($"batch {batch} is outside [1, {MaxBatch}] (SessionOptions.MaxBatch)");
            Execute(batch);
        }
        finally { Exit(); }
    }

    /// <summary>Copies a (dequantised) output of the last run.</summary>
    public void GetOutput(string name, Span<float> values)
    {
        Enter();
        try
        {
            int i = IndexOf(_plan.Outputs, name);
            if (i < 0) throw new InputShapeException($"the model has no output '{name}'");
            if (_batch < 0) throw new InputShapeException("no run yet");
            DequantizeOutput(i, values, _batch);
        }
        finally { Exit(); }
    }

    private void Execute(int batch)
    {
        var ctx = new OpContext(_arena, _scratch, _plan.Slots, _offsets, batch, _kernels) { Path = _kernels.Path };
        if (Profile is { } profile)
        {
            for (int i = 0; i < _plan.Ops.Length; i++)
            {
                long start = System.Diagnostics.Stopwatch.GetTimestamp();
                _plan.Ops[i].Execute(ctx);
                profile.Record(i, System.Diagnostics.Stopwatch.GetTimestamp() - start);
            }
        }
        else
        {
            foreach (var op in _plan.Ops) op.Execute(ctx);
        }
        _batch = batch;
    }

    private void QuantizeInput(int i, ReadOnlySpan<float> values)
    {
        var v = _plan.Inputs[i];
        if (v.Quant is null) throw new InputShapeException($"input '{v.Name}' takes {v.DType.Name()}, not float32");
        int batch = BatchOf(i, values.Length);
        Boundary.Quantize(v.Name, values, v.Quant, v.DType, Slot(_plan.InputSlots[i], batch));
    }

    private void DequantizeOutput(int i, Span<float> output, int batch)
    {
        var v = _plan.Outputs[i];
        var slot = _plan.Slots[_plan.OutputSlots[i]];
        long want = (long)batch * slot.SampleElements;
        if (output.Length != want)
            throw new InputShapeException($"output '{v.Name}' needs a buffer of {want} floats ({batch} × {slot.SampleElements}), got {output.Length}");
        if (v.Quant is null) throw new InputShapeException($"output '{v.Name}' is {v.DType.Name()}, not quantised");
        Boundary.Dequantize(Slot(_plan.OutputSlots[i], batch), v.Quant, v.DType, output);
    }

    private int BatchOf(int input, int length)
    {
        var slot = _plan.Slots[_plan.InputSlots[input]];
        int per = slot.SampleElements;
        if (per == 0 || length % per != 0 || length == 0)
            throw new InputShapeException(
                $"input '{slot.Name}' takes samples of shape [{string.Join(",", slot.SampleShape)}] ({per} values each); got {length} values");
        int batch = length / per;
        if (batch > MaxBatch)
            throw new InputShapeException($"input '{slot.Name}': batch {batch} exceeds this session's MaxBatch {MaxBatch}");
        return batch;
    }

    private int InputIndex(string name)
    {
        int i = IndexOf(_plan.Inputs, name);
        return i >= 0 ? i : throw new InputShapeException($"the model has no input '{name}'");
    }

    // A plain loop: a lambda here would allocate a closure on every call (the soak found 120 B per inference).
    private static int IndexOf(EdgnValue[] values, string name)
    {
        for (int i = 0; i < values.Length; i++)
            if (values[i].Name == name) return i;
        return -1;
    }

    private Span<byte> Slot(int slot, int batch) => _arena.AsSpan((int)_offsets[slot], (int)_plan.Slots[slot].Bytes(batch));

    // _busy: one call at a time, and no call once disposed.
    private const int Idle = 0, Busy = 1, Disposed = 2;

    private void Enter()
    {
        int state = Interlocked.CompareExchange(ref _busy, Busy, Idle);
        if (state == Busy) throw new ConcurrentSessionUseException();
        if (state == Disposed) throw new ObjectDisposedException(nameof(InferenceSession));
    }

    private void Exit() => Volatile.Write(ref _busy, Idle);
}
