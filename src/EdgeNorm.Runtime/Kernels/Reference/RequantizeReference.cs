using EdgeNorm.Runtime.Numerics;

namespace EdgeNorm.Runtime.Kernels.Reference;

/// <summary>
/// Scalar reference of requantisation over spans (docs/numerics.md §3): per tensor, per channel (channel =
/// innermost index, i.e. <c>i % C</c> of a row-major <c>[rows, C]</c> accumulator), and the residual add of two
/// scales. Vector paths must produce the same bytes.
/// </summary>
public static class RequantizeReference
{
    /// <summary><c>dst[i] = sat8(Scale(acc[i]; m) + zeroPoint)</c>.</summary>
    public static void PerTensor(ReadOnlySpan<int> acc, Span<sbyte> dst, DyadicMultiplier m, int zeroPoint = 0)
    {
        CheckLengths(acc.Length, dst.Length);
        for (int i = 0; i < acc.Length; i++) dst[i] = Requantizer.ToInt8(acc[i], m, zeroPoint);
    }

    /// <summary><c>dst[i] = satU8(Scale(acc[i]; m) + zeroPoint)</c> (asymmetric uint8 activations).</summary>
    public static void PerTensor(ReadOnlySpan<int> acc, Span<byte> dst, DyadicMultiplier m, int zeroPoint)
    {
        CheckLengths(acc.Length, dst.Length);
        for (int i = 0; i < acc.Length; i++) dst[i] = Requantizer.ToUInt8(acc[i], m, zeroPoint);
    }

    /// <summary><c>dst[i] = sat16(Scale(acc[i]; m) + offset)</c> (the int16 residual stream).</summary>
    public static void PerTensor(ReadOnlySpan<int> acc, Span<short> dst, DyadicMultiplier m, int offset = 0)
    {
        CheckLengths(acc.Length, dst.Length);
        for (int i = 0; i < acc.Length; i++) dst[i] = Requantizer.ToInt16(acc[i], m, offset);
    }

    /// <summary>
    /// <c>dst[i] = sat8(Scale(acc[i]; m[c]) + offsets[c])</c>, <c>c = i % C</c>, C = <c>multipliers.Length</c>.
    /// <paramref name="offsets"/> is empty (all 0) or has C entries: a per-channel zero point, or a bias in
    /// output units (e.g. the LayerNorm β, docs/numerics.md §8.3).
    /// </summary>
    public static void PerChannel(ReadOnlySpan<int> acc, Span<sbyte> dst, ReadOnlySpan<DyadicMultiplier> multipliers, ReadOnlySpan<int> offsets)
    {
        int channels = CheckChannels(acc.Length, dst.Length, multipliers.Length, offsets.Length);
        for (int row = 0; row < acc.Length; row += channels)
            for (int c = 0; c < channels; c++)
                dst[row + c] = Requantizer.ToInt8(acc[row + c], multipliers[c], offsets.IsEmpty ? 0 : offsets[c]);
    }

    /// <summary>As the int8 overload, to int16.</summary>
    public static void PerChannel(ReadOnlySpan<int> acc, Span<short> dst, ReadOnlySpan<DyadicMultiplier> multipliers, ReadOnlySpan<int> offsets)
    {
        int channels = CheckChannels(acc.Length, dst.Length, multipliers.Length, offsets.Length);
        for (int row = 0; row < acc.Length; row += channels)
            for (int c = 0; c < channels; c++)
                dst[row + c] = Requantizer.ToInt16(acc[row + c], multipliers[c], offsets.IsEmpty ? 0 : offsets[c]);
    }

    /// <summary>
    /// Residual add of two int16 tensors at different scales into the output scale (integer-ops §7):
    /// <c>dst[i] = sat16(Scale(a[i]; ma) + Scale(b[i]; mb))</c>, each operand rounded by the one rule.
    /// </summary>
    public static void ResidualAdd(ReadOnlySpan<short> a, DyadicMultiplier ma, ReadOnlySpan<short> b, DyadicMultiplier mb, Span<short> dst)
    {
        CheckLengths(a.Length, b.Length);
        CheckLengths(a.Length, dst.Length);
        for (int i = 0; i < a.Length; i++) dst[i] = Saturate.ToInt16(Requantizer.AddScaled(a[i], ma, b[i], mb));
    }

    internal static void CheckLengths(int source, int destination)
    {
        if (source != destination)
            throw new ArgumentException($"span lengths differ: {source} vs {destination}");
    }

    private static int CheckChannels(int acc, int dst, int channels, int offsets)
    {
        CheckLengths(acc, dst);
        if (channels == 0 || acc % channels != 0)
            throw new ArgumentException($"{acc} elements are not rows of {channels} channels");
        if (offsets != 0 && offsets != channels)
            throw new ArgumentException($"{offsets} offsets for {channels} channels");
        return channels;
    }
}
