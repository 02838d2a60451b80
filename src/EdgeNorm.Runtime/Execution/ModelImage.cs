using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using EdgeNorm.Model.Format;

namespace EdgeNorm.Runtime.Execution;

/// <summary>
/// Where a loaded model's bytes live, so ops can read large constants (packed weights) in place instead of
/// copying them into managed arrays: the memory-mapped file (kept mapped for the model's lifetime) or the
/// caller's in-memory image (referenced, as <see cref="EdgnModel.Load(ReadOnlyMemory{byte})"/> does).
/// </summary>
internal sealed class ModelImage
{
    private readonly EdgnModel _file;
    private readonly ReadOnlyMemory<byte> _image;

    private ModelImage(EdgnModel file, ReadOnlyMemory<byte> image)
    {
        _file = file;
        _image = image;
    }

    /// <summary>A mapped file: tensors are views into the mapping; the model keeps <paramref name="file"/> (and so the mapping) alive.</summary>
    public static ModelImage Mapped(EdgnModel file) => new(file, default);

    /// <summary>An image in memory: tensors are slices of <paramref name="image"/>.</summary>
    public static ModelImage InMemory(EdgnModel file, ReadOnlyMemory<byte> image) => new(file, image);

    /// <summary>True when tensors are read from a memory mapping.</summary>
    public bool IsMapped => _file.IsMemoryMapped;

    /// <summary>The stored bytes of tensor <paramref name="t"/>, without a copy.</summary>
    public unsafe ReadOnlyMemory<byte> Tensor(EdgnTensor t)
    {
        if (!_file.IsMemoryMapped)
            return _image.Slice(checked((int)(_file.DataOffset + t.Offset)), checked((int)t.Length));
        ReadOnlySpan<byte> span = _file.GetTensorData(t);
        byte* p = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(span));
        return new MappedRegion(p, span.Length, _file).Memory;
    }

    /// <summary>A region of the mapping as <see cref="Memory{T}"/>; holds the file so the mapping outlives every view.</summary>
    private sealed unsafe class MappedRegion(byte* pointer, int length, EdgnModel owner) : MemoryManager<byte>
    {
        // Referenced only to keep the mapping alive as long as a view of it is reachable.
        private readonly EdgnModel _owner = owner;

        public override Span<byte> GetSpan() => new(pointer, length);

        public override MemoryHandle Pin(int elementIndex = 0)
        {
            GC.KeepAlive(_owner);
            return new MemoryHandle(pointer + elementIndex);
        }

        public override void Unpin() { }

        protected override void Dispose(bool disposing) { }
    }
}
