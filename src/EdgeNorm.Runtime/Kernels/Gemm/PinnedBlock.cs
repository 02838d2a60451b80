using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace EdgeNorm.Runtime.Kernels.Gemm;

/// <summary>
/// One 64-byte-aligned block on the pinned object heap, carved into typed regions at construction. Pinned so the
/// kernels (and the worker threads) can keep raw pointers for the owner's lifetime without <c>fixed</c>.
/// </summary>
internal sealed unsafe class PinnedBlock
{
    private readonly byte[] _array; // roots the memory; never moves (pinned object heap)
    private readonly byte* _base;
    private long _used;

    public PinnedBlock(long bytes)
    {
        _array = GC.AllocateArray<byte>(checked((int)(bytes + 64)), pinned: true);
        byte* p = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_array));
        _base = (byte*)(((nint)p + 63) & ~(nint)63);
    }

    /// <summary>Bytes a region of <paramref name="count"/> T takes (rounded up to 64 so the next stays aligned).</summary>
    public static long Size<T>(long count) where T : unmanaged => (count * sizeof(T) + 63) & ~63L;

    /// <summary>The next 64-aligned region of <paramref name="count"/> zeroed T.</summary>
    public T* Take<T>(long count) where T : unmanaged
    {
        long size = Size<T>(count);
        if (_used + size > _array.Length - 64) throw new InvalidOperationException("pinned block too small");
        var p = (T*)(_base + _used);
        _used += size;
        return p;
    }
}
