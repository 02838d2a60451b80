using EdgeNorm.Model.Format;
using EdgeNorm.Runtime.Numerics;

namespace EdgeNorm.Runtime.Kernels.Gemm;

/// <summary>
/// An int8 GEMM's constant operand, prepared once at load for every kernel path: the packed N16×K4 weight panels
/// (format.md §5.2, copied 64-byte aligned and pinned), the accumulator start values (bias, and bias − 128·Σ_k W
/// for the u8×s8 paths that feed x + 128), and the per-channel requantisation of <see cref="RequantChannels"/>.
/// Immutable; shared by all sessions and threads.
/// </summary>
public sealed unsafe class GemmWeights
{
    private readonly PinnedBlock _memory;
    private readonly ReadOnlyMemory<byte> _inPlace; // the caller's image when the panels are read in place
    private System.Buffers.MemoryHandle _pin;

    /// <summary>Output channels.</summary>
    public int N { get; }

    /// <summary>Reduction length.</summary>
    public int K { get; }

    /// <summary>N rounded up to a panel (16).</summary>
    internal int PaddedN { get; }

    /// <summary>K groups of 4 (= Kp / 4).</summary>
    internal int Groups { get; }

    internal byte* Panels { get; }

    /// <summary>Accumulator start per channel for signed-activation paths: the bias (Np entries, 0 past N).</summary>
    internal int* InitSigned { get; }

    /// <summary>Start for the u8 paths (activations fed as x + 128): bias − 128·Σ_k W[n,k] (wrapping, like the sums).</summary>
    internal int* InitUnsigned { get; }

    internal RequantChannels Requant { get; }

    /// <summary>
    /// Prepares <paramref name="packed"/> (the canonical image of a row-major <c>[n, k]</c> int8 weight) with an
    /// int32 <paramref name="bias"/> (empty = 0) and the per-channel requantisation <c>sat(Scale(acc; m[c]) + offsets[c])</c>.
    /// </summary>
    public GemmWeights(ReadOnlySpan<byte> packed, int n, int k, ReadOnlySpan<int> bias, ReadOnlySpan<DyadicMultiplier> multipliers,
        ReadOnlySpan<int> offsets = default)
        : this(packed, default, n, k, bias, multipliers, offsets)
    {
    }

    /// <summary>
    /// As the span constructor, but the panels are read in place from <paramref name="packed"/> (a memory-mapped
    /// model or the caller's image; pinned for this object's lifetime), not copied.
    /// </summary>
    public GemmWeights(ReadOnlyMemory<byte> packed, int n, int k, ReadOnlySpan<int> bias, ReadOnlySpan<DyadicMultiplier> multipliers,
        ReadOnlySpan<int> offsets = default)
        : this(packed.Span, packed, n, k, bias, multipliers, offsets)
    {
    }

    private GemmWeights(ReadOnlySpan<byte> packed, ReadOnlyMemory<byte> inPlace, int n, int k, ReadOnlySpan<int> bias,
        ReadOnlySpan<DyadicMultiplier> multipliers, ReadOnlySpan<int> offsets)
    {
        if (n <= 0 || k <= 0) throw new ArgumentOutOfRangeException(n <= 0 ? nameof(n) : nameof(k), "GEMM dimensions must be positive");
        long need = PackedWeights.ByteLength(n, k);
        if (packed.Length < need) throw new ArgumentException($"packed weight [{n},{k}] needs {need} bytes, got {packed.Length}", nameof(packed));
        if (!bias.IsEmpty && bias.Length != n) throw new ArgumentException($"bias has {bias.Length} entries for {n} outputs", nameof(bias));
        if (multipliers.Length != n) throw new ArgumentException($"{multipliers.Length} multipliers for {n} outputs", nameof(multipliers));
        if (!offsets.IsEmpty && offsets.Length != n) throw new ArgumentException($"{offsets.Length} offsets for {n} outputs", nameof(offsets));
        N = n;
        K = k;
        PaddedN = (int)PackedWeights.PaddedN(n);
        Groups = (int)(PackedWeights.PaddedK(k) / PackedWeights.GroupK);
        long panelBytes = (long)PaddedN * Groups * 4;
        bool copy = inPlace.IsEmpty;
        _memory = new PinnedBlock((copy ? PinnedBlock.Size<byte>(panelBytes) : 0) + 2 * PinnedBlock.Size<int>(PaddedN) + RequantChannels.Bytes(PaddedN));
        if (copy)
        {
            Panels = _memory.Take<byte>(panelBytes);
            packed[..(int)panelBytes].CopyTo(new Span<byte>(Panels, (int)panelBytes));
        }
        else
        {
            _inPlace = inPlace;
            _pin = inPlace.Pin();
            Panels = (byte*)_pin.Pointer;
        }
        InitSigned = _memory.Take<int>(PaddedN);
        InitUnsigned = _memory.Take<int>(PaddedN);
        for (int c = 0; c < n; c++)
        {
            int b = bias.IsEmpty ? 0 : bias[c];
            InitSigned[c] = b;
            InitUnsigned[c] = unchecked(b - 128 * ColumnSum(c));
        }
        Requant = new RequantChannels(_memory, PaddedN, multipliers, offsets);
    }

    /// <summary>Releases the pin of an in-place image.</summary>
    ~GemmWeights() => _pin.Dispose();

    /// <summary>The image the panels are read from in place (empty when they were copied).</summary>
    internal ReadOnlyMemory<byte> InPlaceImage => _inPlace;

    /// <summary>Σ_k W[c,k] from the panels themselves (not the stored sums), so every path agrees even on a bad file.</summary>
    private int ColumnSum(int c)
    {
        byte* p = Panels + (long)(c / 16) * Groups * 64 + (c % 16) * 4;
        int s = 0;
        for (int g = 0; g < Groups; g++, p += 64)
            s += (sbyte)p[0] + (sbyte)p[1] + (sbyte)p[2] + (sbyte)p[3];
        return s;
    }
}
