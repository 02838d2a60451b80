using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using EdgeNorm.Model.Format;
using EdgeNorm.Runtime;
using EdgeNorm.Runtime.Ops;
using Xunit;

namespace EdgeNorm.Calibration.Tests;

/// <summary>
/// Weights are read in place (docs/numerics.md §12.4): every QLinear's packed weight is a view of the model's bytes —
/// of the memory mapping for a file, of the caller's array for an in-memory image — never a managed copy.
/// </summary>
public sealed class MemoryMappedWeightsTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"edgenorm-mmap-{Guid.NewGuid():N}.edgn");
    private static readonly Lazy<byte[]> Image = new(() => EndToEnd.Calibrate("vit_prepbn"));

    public void Dispose() => File.Delete(_path);

    /// <summary>Byte distance from <paramref name="from"/>'s first byte to <paramref name="to"/>'s (no unsafe code needed).</summary>
    private static nint Distance(ReadOnlySpan<byte> from, ReadOnlySpan<byte> to) =>
        Unsafe.ByteOffset(ref MemoryMarshal.GetReference(from), ref MemoryMarshal.GetReference(to));

    /// <summary>(weight view, offset of the tensor in the file) for every QLinear of the plan.</summary>
    private static List<(ReadOnlyMemory<byte> View, long FileOffset)> Weights(EdgeNormModel model, EdgnModel file)
    {
        var result = new List<(ReadOnlyMemory<byte>, long)>();
        foreach (var op in model.Plan.Ops.OfType<LinearOp>())
        {
            var node = file.Header.Nodes.Single(n => n.Name == op.Name);
            var t = file.Header.GetTensor(node.Inputs[1]);
            result.Add((op.PackedWeight, file.DataOffset + t.Offset));
        }
        return result;
    }

    [Fact]
    public void FileLoad_WeightsAreViewsOfOneMapping()
    {
        File.WriteAllBytes(_path, Image.Value);
        var model = EdgeNormModel.Load(_path);
        Assert.True(model.IsMemoryMapped);
        using var file = EdgnModel.Load(Image.Value);
        var weights = Weights(model, file);
        Assert.True(weights.Count >= 4, $"{weights.Count} QLinear ops");
        // One base address for all weights (address − file offset): they sit where the file puts them, in one mapping.
        var first = weights[0];
        foreach (var (view, offset) in weights)
        {
            Assert.Equal((nint)(offset - first.FileOffset), Distance(first.View.Span, view.Span));
            Assert.True(view.Span.SequenceEqual(Image.Value.AsSpan((int)offset, view.Length)));
        }
        // And the mapped model computes what the in-memory one does.
        var x = EndToEnd.Data.Value.X.F.AsSpan(0, 4 * 64).ToArray();
        var y1 = new float[40];
        var y2 = new float[40];
        model.CreateSession(new SessionOptions { MaxBatch = 4 }).Run(x, y1);
        EdgeNormModel.Load(Image.Value).CreateSession(new SessionOptions { MaxBatch = 4 }).Run(x, y2);
        Assert.Equal(y2, y1);
    }

    [Fact]
    public void ImageLoad_WeightsAreSlicesOfTheCallersArray()
    {
        var pinned = GC.AllocateArray<byte>(Image.Value.Length, pinned: true);
        Image.Value.CopyTo(pinned);
        var model = EdgeNormModel.Load(pinned);
        Assert.False(model.IsMemoryMapped);
        using var file = EdgnModel.Load(pinned);
        foreach (var (view, offset) in Weights(model, file))
            Assert.Equal((nint)offset, Distance(pinned, view.Span));
    }
}
