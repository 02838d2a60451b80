namespace EdgeNorm.Runtime.Kernels.Reference;

/// <summary>
/// Scalar reference of an elementwise int8 → int8 function as a 256-entry table built offline by
/// <see cref="Numerics.Offline.LookupTableBuilder"/> (docs/numerics.md §7.3): <c>dst[i] = table[src[i] + 128]</c>.
/// </summary>
public static class LookupTableReference
{
    /// <summary>Applies the table; <paramref name="table"/> must have 256 entries.</summary>
    public static void Apply(ReadOnlySpan<sbyte> src, ReadOnlySpan<sbyte> table, Span<sbyte> dst)
    {
        if (table.Length != 256)
            throw new ArgumentException($"a lookup table has 256 entries, not {table.Length}", nameof(table));
        RequantizeReference.CheckLengths(src.Length, dst.Length);
        for (int i = 0; i < src.Length; i++) dst[i] = table[src[i] + 128];
    }
}
