using EdgeNorm.Runtime.Numerics;

namespace EdgeNorm.Runtime.Kernels.Gemm;

/// <summary>
/// Per-channel requantisation <c>sat(Scale(acc; m[c]) + o[c])</c> (the rule of <see cref="Requantizer.Scale(int, DyadicMultiplier)"/>)
/// in the forms the epilogues read. The scalar epilogue calls <see cref="Requantizer"/> on <see cref="Multipliers"/> and
/// <see cref="Offsets"/>. The vector epilogues evaluate the same rule without a 64-bit arithmetic shift or 64-bit
/// clamps, exactly, by three precomputed rewrites (docs/kernels.md §requant):
/// <list type="number">
/// <item>Clamp x to [<see cref="Low"/>, <see cref="High"/>]: the largest x that already saturates low and the smallest that
/// saturates high (found here by bisection on <see cref="Requantizer.Scale(int, DyadicMultiplier)"/>; the rule is monotone, so
/// the saturated result is unchanged). Inside the clamp, Scale(x) + o fits in int32.</item>
/// <item><c>p = x·m + 2^(k−1) + 2^62</c> is non-negative and below 2^63, so a logical shift gives
/// <c>p ≫ k = Scale(x) + 2^(62−k)</c> (2^62 is a multiple of 2^k for k ≤ 62): <see cref="Round"/> holds 2^(k−1) + 2^62.</item>
/// <item>Only the low 32 bits are kept: <c>low32(p ≫ k) + (o − low32(2^(62−k)))</c> ≡ Scale(x) + o mod 2^32, exact because the
/// true value fits int32 (<see cref="OffsetAdjusted"/>). Saturating packs then give sat16 / sat8.</item>
/// </list>
/// When some channel's clamped range does not fit int32 (huge offsets), <see cref="VectorExact"/> is false and every path
/// uses the scalar epilogue for this GEMM.
/// </summary>
internal sealed unsafe class RequantChannels
{
    public int Channels { get; }
    public DyadicMultiplier* Multipliers { get; }
    public int* Offsets { get; }

    /// <summary>Mantissas m (channels + 8 entries, so an epilogue can load m[c + 1 …] for the odd lanes).</summary>
    public int* Mantissa { get; }
    public int* Low { get; }
    public int* High { get; }
    public int* OffsetAdjusted { get; }

    /// <summary>2^(k−1) + 2^62 per channel, in channel order (128-bit paths).</summary>
    public long* Round { get; }

    /// <summary>−k per channel, in channel order (NEON shifts right by a negative left-shift count).</summary>
    public long* NegativeShift { get; }

    /// <summary>The same two, per group of 8 channels ordered even channels then odd (0,2,4,6,1,3,5,7): AVX2's vpmuldq lanes.</summary>
    public long* RoundEvenOdd { get; }
    public long* ShiftEvenOdd { get; }

    public bool VectorExact { get; }

    public static long Bytes(int channels) =>
        PinnedBlock.Size<DyadicMultiplier>(channels) + 4 * PinnedBlock.Size<int>(channels + 8) + PinnedBlock.Size<int>(channels)
        + 4 * PinnedBlock.Size<long>(channels);

    public RequantChannels(PinnedBlock memory, int channels, ReadOnlySpan<DyadicMultiplier> multipliers, ReadOnlySpan<int> offsets)
    {
        Channels = channels;
        Multipliers = memory.Take<DyadicMultiplier>(channels);
        Offsets = memory.Take<int>(channels);
        Mantissa = memory.Take<int>(channels + 8);
        Low = memory.Take<int>(channels + 8);
        High = memory.Take<int>(channels + 8);
        OffsetAdjusted = memory.Take<int>(channels + 8);
        Round = memory.Take<long>(channels);
        NegativeShift = memory.Take<long>(channels);
        RoundEvenOdd = memory.Take<long>(channels);
        ShiftEvenOdd = memory.Take<long>(channels);
        bool exact = true;
        for (int c = 0; c < channels; c++)
        {
            // Padding channels (c ≥ N) requantise by 1 with the clamp [0, 0]: finite, never stored.
            bool real = c < multipliers.Length;
            var m = real ? multipliers[c] : DyadicMultiplier.One;
            int o = real && !offsets.IsEmpty ? offsets[c] : 0;
            Multipliers[c] = m;
            Offsets[c] = o;
            Mantissa[c] = m.Multiplier;
            int k = m.Shift;
            long r = (1L << (k - 1)) + (1L << 62);
            int lowPow = 62 - k >= 32 ? 0 : unchecked((int)(1u << (62 - k)));
            int lo = real ? LastAtOrBelow(m, o, short.MinValue) : 0;
            int hi = real ? FirstAtOrAbove(m, o, short.MaxValue) : 0;
            Low[c] = lo;
            High[c] = hi;
            OffsetAdjusted[c] = unchecked(o - lowPow);
            Round[c] = r;
            NegativeShift[c] = -k;
            int group = c & ~7, lane = c & 7, slot = group + (lane & 1) * 4 + (lane >> 1);
            RoundEvenOdd[slot] = r;
            ShiftEvenOdd[slot] = k;
            if (Requantizer.Scale(lo, m) + o < int.MinValue || Requantizer.Scale(hi, m) + o > int.MaxValue) exact = false;
        }
        VectorExact = exact;
    }

    /// <summary>The smallest x with Scale(x) + o ≥ <paramref name="target"/> (int.MaxValue when none: no clamp needed).</summary>
    private static int FirstAtOrAbove(DyadicMultiplier m, int o, int target)
    {
        long lo = int.MinValue, hi = int.MaxValue;
        if (Requantizer.Scale(int.MaxValue, m) + o < target) return int.MaxValue;
        while (lo < hi)
        {
            long mid = lo + (hi - lo) / 2;
            if (Requantizer.Scale((int)mid, m) + o >= target) hi = mid;
            else lo = mid + 1;
        }
        return (int)lo;
    }

    /// <summary>The largest x with Scale(x) + o ≤ <paramref name="target"/> (int.MinValue when none).</summary>
    private static int LastAtOrBelow(DyadicMultiplier m, int o, int target)
    {
        long lo = int.MinValue, hi = int.MaxValue;
        if (Requantizer.Scale(int.MinValue, m) + o > target) return int.MinValue;
        while (lo < hi)
        {
            long mid = lo + (hi - lo + 1) / 2;
            if (Requantizer.Scale((int)mid, m) + o <= target) lo = mid;
            else hi = mid - 1;
        }
        return (int)lo;
    }
}
