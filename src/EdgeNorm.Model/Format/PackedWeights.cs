using System.Runtime.InteropServices;

namespace EdgeNorm.Model.Format;

/// <summary>
/// The canonical packed GEMM weight layout (<see cref="TensorLayout.PackedN16K4"/>), the one the int8
/// dot-product kernels of both ISAs read directly (VPDPBUSD and SDOT both consume 4 consecutive k per
/// 32-bit lane).
/// <para>
/// A row-major int8 <c>W[N,K]</c> (N output channels, K the reduction axis; <c>W[n,k] = w[n·K + k]</c>) is
/// zero-padded to <c>Np = ⌈N/16⌉·16</c> rows and <c>Kp = ⌈K/4⌉·4</c> columns and stored as
/// <c>[Np/16 panels][Kp/4 groups][16 n][4 k]</c>, i.e. <c>W[n,k]</c> sits at byte
/// <c>((n/16)·(Kp/4) + k/4)·64 + (n%16)·4 + k%4</c>. The <c>Np·Kp</c> panel bytes are followed by
/// <c>Np</c> little-endian int32 column sums <c>Σ_k W[n,k]</c> (0 for padded n), used to correct for an
/// activation zero point or for the u8 bias of a u8×s8 instruction. Every 64-byte block holds one
/// 16×4 tile, so the image and its sums stay 64-byte aligned.
/// </para>
/// </summary>
public static class PackedWeights
{
    /// <summary>Output channels per panel.</summary>
    public const int PanelN = 16;

    /// <summary>Reduction elements per group (one 32-bit dot-product lane).</summary>
    public const int GroupK = 4;

    /// <summary>Largest K for which an int32 column sum cannot overflow (2^24: 2^24 · 128 = 2^31).</summary>
    public const int MaxK = 1 << 24;

    /// <summary>N rounded up to a multiple of 16.</summary>
    public static long PaddedN(long n) => checked((n + PanelN - 1) / PanelN * PanelN);

    /// <summary>K rounded up to a multiple of 4.</summary>
    public static long PaddedK(long k) => checked((k + GroupK - 1) / GroupK * GroupK);

    /// <summary>Bytes of the packed image of a <c>[n, k]</c> weight: <c>Np·Kp + 4·Np</c>. Throws <see cref="OverflowException"/> past long.</summary>
    public static long ByteLength(long n, long k)
    {
        if (n < 0 || k < 0) throw new ArgumentOutOfRangeException(n < 0 ? nameof(n) : nameof(k), "dimensions must be non-negative");
        long np = PaddedN(n), kp = PaddedK(k);
        return checked(np * kp + 4 * np);
    }

    /// <summary>Byte index of <c>W[row, col]</c> inside the panel part of the packed image of a weight with <paramref name="k"/> columns.</summary>
    public static long IndexOf(long row, long col, long k) =>
        ((row / PanelN) * (PaddedK(k) / GroupK) + col / GroupK) * (PanelN * GroupK) + (row % PanelN) * GroupK + col % GroupK;

    /// <summary>Packs row-major <paramref name="w"/> (<c>[n, k]</c>) into the canonical image: panels, then column sums.</summary>
    public static byte[] Pack(ReadOnlySpan<sbyte> w, int n, int k)
    {
        CheckDims(w.Length, n, k);
        long total = ByteLength(n, k);
        if (total > Array.MaxLength) throw new ArgumentException($"packed weight [{n},{k}] needs {total} bytes, more than an array holds");
        var image = new byte[total];
        long kg = PaddedK(k) / GroupK;
        for (int row = 0; row < n; row++)
        {
            ReadOnlySpan<sbyte> src = w.Slice(row * k, k);
            long rowBase = (long)(row / PanelN) * kg * (PanelN * GroupK) + (row % PanelN) * GroupK;
            for (int col = 0; col < k; col++)
                image[rowBase + (long)(col / GroupK) * (PanelN * GroupK) + col % GroupK] = (byte)src[col];
        }
        int[] sums = ColumnSums(w, n, k);
        Span<int> dst = MemoryMarshal.Cast<byte, int>(image.AsSpan((int)(PaddedN(n) * PaddedK(k))));
        sums.CopyTo(dst);
        return image;
    }

    /// <summary>Recovers row-major <c>W[n, k]</c> from a packed image (only the first <c>Np·Kp</c> bytes are read).</summary>
    public static sbyte[] Unpack(ReadOnlySpan<byte> packed, int n, int k)
    {
        CheckDims(null, n, k);
        if (packed.Length < ByteLength(n, k))
            throw new ArgumentException($"packed image of [{n},{k}] needs {ByteLength(n, k)} bytes, got {packed.Length}", nameof(packed));
        var w = new sbyte[(long)n * k];
        for (int row = 0; row < n; row++)
            for (int col = 0; col < k; col++)
                w[(long)row * k + col] = (sbyte)packed[(int)IndexOf(row, col, k)];
        return w;
    }

    /// <summary>Column sums <c>Σ_k W[n,k]</c> of row-major <paramref name="w"/>, one per output channel (length <paramref name="n"/>).</summary>
    public static int[] ColumnSums(ReadOnlySpan<sbyte> w, int n, int k)
    {
        CheckDims(w.Length, n, k);
        var sums = new int[n];
        for (int row = 0; row < n; row++)
        {
            int s = 0;
            foreach (sbyte v in w.Slice(row * k, k)) s += v;
            sums[row] = s;
        }
        return sums;
    }

    /// <summary>The <c>Np</c> stored column sums of a packed image (a view, no copy).</summary>
    public static ReadOnlySpan<int> GetColumnSums(ReadOnlySpan<byte> packed, int n, int k)
    {
        CheckDims(null, n, k);
        long panels = PaddedN(n) * PaddedK(k);
        if (packed.Length < ByteLength(n, k))
            throw new ArgumentException($"packed image of [{n},{k}] needs {ByteLength(n, k)} bytes, got {packed.Length}", nameof(packed));
        return MemoryMarshal.Cast<byte, int>(packed.Slice((int)panels, (int)(4 * PaddedN(n))));
    }

    /// <summary>
    /// Checks a packed image's internal consistency: padding bytes are zero and the stored column sums equal
    /// the sums of the panels. Returns null when consistent, else a one-line description of the first problem.
    /// </summary>
    public static string? Check(ReadOnlySpan<byte> packed, int n, int k)
    {
        CheckDims(null, n, k);
        if (packed.Length != ByteLength(n, k)) return $"packed image is {packed.Length} bytes, expected {ByteLength(n, k)}";
        int np = (int)PaddedN(n), kp = (int)PaddedK(k);
        var sums = new long[np];
        int kg = kp / GroupK;
        for (int p = 0; p < np / PanelN; p++)
            for (int g = 0; g < kg; g++)
            {
                ReadOnlySpan<byte> tile = packed.Slice((p * kg + g) * PanelN * GroupK, PanelN * GroupK);
                for (int c = 0; c < PanelN; c++)
                    for (int j = 0; j < GroupK; j++)
                    {
                        sbyte v = (sbyte)tile[c * GroupK + j];
                        int row = p * PanelN + c, col = g * GroupK + j;
                        if ((row >= n || col >= k) && v != 0)
                            return $"padding byte for row {row}, column {col} is {v}, expected 0";
                        sums[row] += v;
                    }
            }
        ReadOnlySpan<int> stored = GetColumnSums(packed, n, k);
        for (int row = 0; row < np; row++)
            if (stored[row] != sums[row])
                return $"column sum of row {row} is stored as {stored[row]}, the weights sum to {sums[row]}";
        return null;
    }

    private static void CheckDims(int? length, int n, int k)
    {
        if (n < 0 || k < 0) throw new ArgumentOutOfRangeException(n < 0 ? nameof(n) : nameof(k), "dimensions must be non-negative");
        if (k > MaxK) throw new ArgumentOutOfRangeException(nameof(k), $"K = {k} exceeds {MaxK}; int32 column sums could overflow");
        if (length is int len && len != (long)n * k)
            throw new ArgumentException($"weight of shape [{n},{k}] needs {(long)n * k} elements, got {len}");
    }
}
