using EdgeNorm.Runtime.Numerics;

namespace EdgeNorm.Runtime.Kernels.Vector;

/// <summary>
/// A per-channel requantisation with a sign, <c>y_c = sat(Scale(sign_c·x_c; m_c) + offset_c)</c> (QNorm's γ, β and
/// QChannelAffine), as the int32 arrays the vector loops load lane by lane. Built once when an op is bound; immutable.
/// </summary>
public sealed class ChannelRequant
{
    /// <summary>Channels C (the innermost axis).</summary>
    public int Channels { get; }

    internal DyadicMultiplier[] Multipliers { get; }
    internal int[] Mantissas { get; }
    internal int[] Shifts { get; }
    internal int[] Signs { get; }
    internal int[] Offsets { get; }

    /// <summary>
    /// Creates the table; <paramref name="signs"/> and <paramref name="offsets"/> have C entries or are empty
    /// (all 1, all 0).
    /// </summary>
    public ChannelRequant(ReadOnlySpan<DyadicMultiplier> multipliers, ReadOnlySpan<int> signs, ReadOnlySpan<int> offsets)
    {
        int c = multipliers.Length;
        if (c == 0) throw new ArgumentException("a per-channel requantisation needs at least one channel", nameof(multipliers));
        if (!signs.IsEmpty && signs.Length != c) throw new ArgumentException($"{signs.Length} signs for {c} channels", nameof(signs));
        if (!offsets.IsEmpty && offsets.Length != c) throw new ArgumentException($"{offsets.Length} offsets for {c} channels", nameof(offsets));
        Channels = c;
        Multipliers = multipliers.ToArray();
        Mantissas = new int[c];
        Shifts = new int[c];
        Signs = new int[c];
        Offsets = new int[c];
        for (int i = 0; i < c; i++)
        {
            if (!multipliers[i].IsValid) throw new ArgumentException($"channel {i}: invalid multiplier", nameof(multipliers));
            Mantissas[i] = multipliers[i].Multiplier;
            Shifts[i] = multipliers[i].Shift;
            Signs[i] = signs.IsEmpty ? 1 : signs[i];
            Offsets[i] = offsets.IsEmpty ? 0 : offsets[i];
        }
    }
}
