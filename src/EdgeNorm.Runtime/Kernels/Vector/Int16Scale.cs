using System.Runtime.CompilerServices;
using EdgeNorm.Runtime.Numerics;

namespace EdgeNorm.Runtime.Kernels.Vector;

/// <summary>
/// <see cref="Requantizer.Scale(int, DyadicMultiplier)"/> of an int16 value in 32-bit lanes only, for the common shifts
/// 17 ≤ k ≤ 46. With <c>m = mh·2^16 + ml</c> (0 ≤ ml &lt; 2^16) and the rounding term <c>2^(k−1) = 2^(k−17)·2^16</c>:
/// <c>x·m + 2^(k−1) = 2^16·A + B</c>, <c>A = x·mh + 2^(k−17)</c>, <c>B = x·ml</c>, and nested floors give
/// <c>Scale(x) = (A + (B &gt;&gt; 16)) &gt;&gt; (k − 16)</c> — the same integer. For |x| ≤ 2^15 every term fits int32
/// (|x·mh| ≤ 2^30, |B| &lt; 2^31, 2^(k−17) ≤ 2^29) and so does the result (|Scale| ≤ 2^(46−k) ≤ 2^29), so two of them
/// add without overflow. About a third of the work of the 64-bit lane form.
/// </summary>
internal readonly struct Int16Scale
{
    private readonly int _high, _low, _round, _shift;

    private Int16Scale(DyadicMultiplier m)
    {
        _high = m.Multiplier >> 16;
        _low = m.Multiplier & 0xFFFF;
        _round = 1 << (m.Shift - 17);
        _shift = m.Shift - 16;
    }

    /// <summary>The form for <paramref name="m"/>, when its shift is in [17, 46].</summary>
    public static bool TryCreate(DyadicMultiplier m, out Int16Scale scale)
    {
        bool fits = m.Shift >= 17 && m.Shift <= 46;
        scale = fits ? new Int16Scale(m) : default;
        return fits;
    }

    /// <summary>Broadcast constants of this form for one width.</summary>
    public readonly struct Lanes<TL, TV>(Int16Scale s) where TL : struct, ILanes<TV> where TV : struct
    {
        private readonly TV _high = TL.Create(s._high), _low = TL.Create(s._low), _round = TL.Create(s._round);
        private readonly int _shift = s._shift;

        /// <summary>Scale(x) per lane for lanes holding int16 values.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public TV Apply(TV x)
        {
            var a = TL.Add(TL.Multiply(x, _high), _round);
            var b = TL.ShiftRightArithmetic(TL.Multiply(x, _low), 16);
            return TL.ShiftRightArithmetic(TL.Add(a, b), _shift);
        }
    }
}
