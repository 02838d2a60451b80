using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using EdgeNorm.Runtime.Kernels.Reference;
using EdgeNorm.Runtime.Numerics;

namespace EdgeNorm.Runtime.Kernels.Vector;

/// <summary>
/// Vector form of <see cref="RequantizeReference.ResidualAdd"/>: the same bytes, eight or four lanes at a time — in 32-bit
/// lanes by <see cref="Int16Scale"/> when both shifts allow (every realistic residual), else the 64-bit lane rule.
/// </summary>
public static class AddVector
{
    /// <summary><c>dst[i] = sat16(Scale(a[i]; ma) + Scale(b[i]; mb))</c>; <paramref name="dst"/> may alias an input.</summary>
    public static void ResidualAdd(ReadOnlySpan<short> a, DyadicMultiplier ma, ReadOnlySpan<short> b, DyadicMultiplier mb,
        Span<short> dst, VectorWidth width)
    {
        RequantizeReference.CheckLengths(a.Length, b.Length);
        RequantizeReference.CheckLengths(a.Length, dst.Length);
        int done = width == VectorWidth.Lanes256
            ? Run<Lanes256, Vector256<int>>(a, ma, b, mb, dst)
            : Run<Lanes128, Vector128<int>>(a, ma, b, mb, dst);
        for (int i = done; i < a.Length; i++) dst[i] = Saturate.ToInt16(Requantizer.AddScaled(a[i], ma, b[i], mb));
    }

    private static int Run<TL, TV>(ReadOnlySpan<short> a, DyadicMultiplier ma, ReadOnlySpan<short> b, DyadicMultiplier mb, Span<short> dst)
        where TL : struct, ILanes<TV> where TV : struct
    {
        ref short pa = ref MemoryMarshal.GetReference(a);
        ref short pb = ref MemoryMarshal.GetReference(b);
        ref short pd = ref MemoryMarshal.GetReference(dst);
        int i = 0;
        if (Int16Scale.TryCreate(ma, out var sa) && Int16Scale.TryCreate(mb, out var sb))
        {
            var la = new Int16Scale.Lanes<TL, TV>(sa);
            var lb = new Int16Scale.Lanes<TL, TV>(sb);
            TV low = TL.Create(short.MinValue), high = TL.Create(short.MaxValue);
            for (; i <= a.Length - TL.Count; i += TL.Count)
            {
                var sum = TL.Add(la.Apply(TL.LoadInt16(ref pa, (nuint)i)), lb.Apply(TL.LoadInt16(ref pb, (nuint)i)));
                TL.StoreInt16(TL.Min(TL.Max(sum, low), high), ref pd, (nuint)i);
            }
            return i;
        }
        TV mA = TL.Create(ma.Multiplier), kA = TL.Create(ma.Shift), mB = TL.Create(mb.Multiplier), kB = TL.Create(mb.Shift);
        for (; i <= a.Length - TL.Count; i += TL.Count)
        {
            var sum = TL.AddScaled(TL.LoadInt16(ref pa, (nuint)i), mA, kA, TL.LoadInt16(ref pb, (nuint)i), mB, kB, short.MinValue, short.MaxValue);
            TL.StoreInt16(sum, ref pd, (nuint)i);
        }
        return i;
    }
}
