using System.Runtime.InteropServices;

namespace EdgeNorm.Runtime.Execution;

/// <summary>What an op sees while it runs: the session arena, the batch size, a scratch region.</summary>
internal readonly ref struct OpContext
{
    private readonly Span<byte> _arena;
    private readonly Span<byte> _scratch;
    private readonly ValueSlot[] _slots;
    private readonly long[] _offsets;

    private readonly Kernels.KernelSet? _kernels;

    public OpContext(Span<byte> arena, Span<byte> scratch, ValueSlot[] slots, long[] offsets, int batch, Kernels.KernelSet? kernels = null)
    {
        _kernels = kernels;
        _arena = arena;
        _scratch = scratch;
        _slots = slots;
        _offsets = offsets;
        Batch = batch;
    }

    public int Batch { get; }

    /// <summary>
    /// The session's kernel table and threads (chosen once, at session creation). A context made without one (op tests)
    /// gets a one-thread set for <see cref="Path"/>, made per call.
    /// </summary>
    public Kernels.KernelSet Kernels => _kernels ?? EdgeNorm.Runtime.Kernels.KernelSet.Create(Path, 1);

    /// <summary>The session's kernel path (chosen once at session creation): Scalar runs the reference kernels.</summary>
    public Platform.KernelPath Path { get; init; }

    public Span<T> Value<T>(int slot) where T : unmanaged
    {
        var s = _slots[slot];
        return MemoryMarshal.Cast<byte, T>(_arena.Slice((int)_offsets[slot], (int)s.Bytes(Batch)));
    }

    /// <summary>Scratch memory shared by all ops (they run one at a time); <paramref name="byteOffset"/> must be 4-aligned.</summary>
    public Span<T> Scratch<T>(int byteOffset, int count) where T : unmanaged =>
        MemoryMarshal.Cast<byte, T>(_scratch.Slice(byteOffset, count * System.Runtime.CompilerServices.Unsafe.SizeOf<T>()));
}
