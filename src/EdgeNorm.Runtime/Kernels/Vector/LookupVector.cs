using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using EdgeNorm.Runtime.Kernels.Reference;
using AdvSimd = System.Runtime.Intrinsics.Arm.AdvSimd;

namespace EdgeNorm.Runtime.Kernels.Vector;

/// <summary>
/// Vector form of <see cref="LookupTableReference.Apply"/> (<c>dst[i] = table[src[i] + 128]</c>), a byte gather, which
/// is ISA-specific: on x64 the table is sixteen 16-byte rows and each row is looked up with pshufb by the low nibble
/// and kept where the high nibble selects it; on ARM64 four 64-byte tbl/tbx lookups cover the 256 entries. Other
/// targets use the reference loop.
/// </summary>
public static class LookupVector
{
    /// <summary>Same bytes as <see cref="LookupTableReference.Apply"/>; <paramref name="dst"/> may alias <paramref name="src"/>.</summary>
    public static void Apply(ReadOnlySpan<sbyte> src, ReadOnlySpan<sbyte> table, Span<sbyte> dst, VectorWidth width)
    {
        if (table.Length != 256)
            throw new ArgumentException($"a lookup table has 256 entries, not {table.Length}", nameof(table));
        RequantizeReference.CheckLengths(src.Length, dst.Length);
        var s = MemoryMarshal.AsBytes(src);
        var t = MemoryMarshal.AsBytes(table);
        var d = MemoryMarshal.AsBytes(dst);
        int done = width == VectorWidth.Lanes256 && Avx2.IsSupported ? Avx2Rows(s, t, d)
            : Ssse3.IsSupported ? Ssse3Rows(s, t, d)
            : AdvSimd.Arm64.IsSupported ? NeonTbl(s, t, d)
            : 0;
        for (int i = done; i < src.Length; i++) dst[i] = table[src[i] + 128];
    }

    private static int Avx2Rows(ReadOnlySpan<byte> src, ReadOnlySpan<byte> table, Span<byte> dst)
    {
        Span<Vector256<byte>> rows = stackalloc Vector256<byte>[16];
        for (int r = 0; r < 16; r++)
        {
            var row = Vector128.LoadUnsafe(ref MemoryMarshal.GetReference(table), (nuint)(16 * r));
            rows[r] = Vector256.Create(row, row);
        }
        ref byte ps = ref MemoryMarshal.GetReference(src);
        ref byte pd = ref MemoryMarshal.GetReference(dst);
        var signBit = Vector256.Create((byte)0x80);
        var nibble = Vector256.Create((byte)0x0F);
        int i = 0;
        for (; i <= src.Length - 32; i += 32)
        {
            var u = Vector256.LoadUnsafe(ref ps, (nuint)i) ^ signBit; // src + 128 as an unsigned index
            var low = u & nibble;
            var high = Vector256.ShiftRightLogical(u.AsUInt16(), 4).AsByte() & nibble;
            var result = Vector256<byte>.Zero;
            for (int r = 0; r < 16; r++)
                result = Avx2.BlendVariable(result, Avx2.Shuffle(rows[r], low), Avx2.CompareEqual(high, Vector256.Create((byte)r)));
            result.StoreUnsafe(ref pd, (nuint)i);
        }
        return i;
    }

    private static int Ssse3Rows(ReadOnlySpan<byte> src, ReadOnlySpan<byte> table, Span<byte> dst)
    {
        ref byte pt = ref MemoryMarshal.GetReference(table);
        ref byte ps = ref MemoryMarshal.GetReference(src);
        ref byte pd = ref MemoryMarshal.GetReference(dst);
        var signBit = Vector128.Create((byte)0x80);
        var nibble = Vector128.Create((byte)0x0F);
        int i = 0;
        for (; i <= src.Length - 16; i += 16)
        {
            var u = Vector128.LoadUnsafe(ref ps, (nuint)i) ^ signBit;
            var low = u & nibble;
            var high = Vector128.ShiftRightLogical(u.AsUInt16(), 4).AsByte() & nibble;
            var result = Vector128<byte>.Zero;
            for (int r = 0; r < 16; r++)
                result = Vector128.ConditionalSelect(Vector128.Equals(high, Vector128.Create((byte)r)),
                    Ssse3.Shuffle(Vector128.LoadUnsafe(ref pt, (nuint)(16 * r)), low), result);
            result.StoreUnsafe(ref pd, (nuint)i);
        }
        return i;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int NeonTbl(ReadOnlySpan<byte> src, ReadOnlySpan<byte> table, Span<byte> dst)
    {
        ref byte pt = ref MemoryMarshal.GetReference(table);
        var t0 = (Vector128.LoadUnsafe(ref pt, 0), Vector128.LoadUnsafe(ref pt, 16), Vector128.LoadUnsafe(ref pt, 32), Vector128.LoadUnsafe(ref pt, 48));
        var t1 = (Vector128.LoadUnsafe(ref pt, 64), Vector128.LoadUnsafe(ref pt, 80), Vector128.LoadUnsafe(ref pt, 96), Vector128.LoadUnsafe(ref pt, 112));
        var t2 = (Vector128.LoadUnsafe(ref pt, 128), Vector128.LoadUnsafe(ref pt, 144), Vector128.LoadUnsafe(ref pt, 160), Vector128.LoadUnsafe(ref pt, 176));
        var t3 = (Vector128.LoadUnsafe(ref pt, 192), Vector128.LoadUnsafe(ref pt, 208), Vector128.LoadUnsafe(ref pt, 224), Vector128.LoadUnsafe(ref pt, 240));
        ref byte ps = ref MemoryMarshal.GetReference(src);
        ref byte pd = ref MemoryMarshal.GetReference(dst);
        var quarter = Vector128.Create((byte)64);
        int i = 0;
        for (; i <= src.Length - 16; i += 16)
        {
            var u = Vector128.LoadUnsafe(ref ps, (nuint)i) ^ Vector128.Create((byte)0x80);
            // tbl gives 0 for an index ≥ 64; tbx keeps the previous byte there. Each quarter shifts the index down by 64.
            var r = AdvSimd.Arm64.VectorTableLookup(t0, u);
            r = AdvSimd.Arm64.VectorTableLookupExtension(r, t1, u - quarter);
            r = AdvSimd.Arm64.VectorTableLookupExtension(r, t2, u - quarter - quarter);
            r = AdvSimd.Arm64.VectorTableLookupExtension(r, t3, u - quarter - quarter - quarter);
            r.StoreUnsafe(ref pd, (nuint)i);
        }
        return i;
    }
}
