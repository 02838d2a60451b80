using EdgeNorm.Runtime.Platform;

namespace EdgeNorm.Runtime.Kernels.Gemm;

/// <summary>One kernel path's int8 GEMM, chosen once per session (the dispatch table entry).</summary>
internal abstract unsafe class GemmKernel
{
    public abstract KernelPath Path { get; }

    /// <summary>Bytes per prepared activation row for K = 4·<paramref name="groups"/> (64-aligned).</summary>
    public abstract nint RowStride(int groups);

    /// <summary>Converts the activations of <paramref name="call"/> into the prepared rows (caller thread, before <see cref="Run"/>).</summary>
    public abstract void Prepare(GemmCall call);

    /// <summary>Computes part <paramref name="part"/> of <paramref name="parts"/> of the output tiles (a fixed partition).</summary>
    public abstract void Run(GemmCall call, int part, int parts);

    /// <summary>Rows per micro-kernel tile (MR).</summary>
    public abstract int TileRows { get; }

    /// <summary>True when the tile reads activations as u8 = x + 128: panel start values carry −128·Σ W (<see cref="PanelPacker"/>).</summary>
    public abstract bool UnsignedActivations { get; }

    /// <summary>
    /// Prepares <paramref name="rows"/> int8 rows of length <paramref name="k"/> (at <c>x + r·xStride</c>) into
    /// <paramref name="dst"/> (<paramref name="dstStride"/> = <see cref="RowStride"/>), padded with zero rows to a whole
    /// number of tiles.
    /// </summary>
    public abstract void PrepareRows(sbyte* x, nint xStride, int rows, int k, byte* dst, nint dstStride);

    /// <summary>
    /// The raw int32 products, no requant: <c>dst[r·dstStride + j] = init[j] + Σ_k a_r[k]·W[j, k]</c> for the
    /// <paramref name="rows"/> prepared rows and the <paramref name="n"/> packed rows W (<see cref="PanelPacker"/>) —
    /// Q·Kᵀ of attention on the GEMM's micro-kernel.
    /// </summary>
    public abstract void Products(byte* prepared, nint stride, int rows, byte* panels, int groups, int n, int* init, int* dst, int dstStride);

    /// <summary>The GEMM of a path.</summary>
    public static GemmKernel For(KernelPath path) => path switch
    {
        KernelPath.Scalar => new GemmDriver<ScalarTile, ScalarEpilogue>(path),
        KernelPath.Vector128 => new GemmDriver<Vector128Gemm2x16, ScalarEpilogue>(path),
        KernelPath.Avx2 => new GemmDriver<Avx2Gemm4x16, Avx2Epilogue>(path),
        KernelPath.AvxVnni => new GemmDriver<AvxVnni6x16, Avx2Epilogue>(path),
        KernelPath.Avx512BW => new GemmDriver<Avx512BW8x16, Avx2Epilogue>(path),
        KernelPath.Neon => new GemmDriver<Neon2x16, NeonEpilogue>(path),
        KernelPath.NeonDotProd => new GemmDriver<NeonDot4x16, NeonEpilogue>(path),
        _ => throw new ArgumentOutOfRangeException(nameof(path), path, "unknown kernel path"),
    };
}

/// <summary>
/// The shared skeleton: prepared rows padded to whole tiles (M tail), panels padded to 16 in the weight image (N
/// tail, only valid columns stored), K padded to groups of 4 with zeros (K tail). Work units are (4-panel group,
/// row block) in panel-group-major order — the row block's activations stay in L1 across the 4 panels, the
/// 64-channel weight slice in L2 across row blocks — and part p of P takes units [U·p/P, U·(p+1)/P): every output is
/// computed by the same instructions whatever the thread count.
/// </summary>
internal sealed unsafe class GemmDriver<TTile, TEpilogue>(KernelPath path) : GemmKernel
    where TTile : struct, IGemmTile
    where TEpilogue : struct, IRequantEpilogue
{
    private const int PanelsPerGroup = 4;

    public override KernelPath Path => path;

    public override nint RowStride(int groups) => ((nint)groups * TTile.BytesPerGroup + 63) & ~(nint)63;

    public override int TileRows => TTile.Rows;

    public override bool UnsignedActivations => TTile.UnsignedActivations;

    public override void PrepareRows(sbyte* x, nint xStride, int rows, int k, byte* dst, nint dstStride)
    {
        int mr = TTile.Rows, padded = (rows + mr - 1) / mr * mr, groups = (k + 3) / 4;
        for (int r = 0; r < padded; r++)
            TTile.PrepareRow(r < rows ? x + r * xStride : null, r < rows ? k : 0, dst + r * dstStride, groups);
    }

    public override void Products(byte* prepared, nint stride, int rows, byte* panels, int groups, int n, int* init, int* dst, int dstStride)
    {
        int mr = TTile.Rows;
        int* tile = stackalloc int[16 * 16 + 16];
        for (int r0 = 0; r0 < rows; r0 += mr)
        {
            int count = Math.Min(mr, rows - r0);
            for (int p = 0; p * 16 < n; p++)
            {
                TTile.Compute(prepared + r0 * stride, stride, panels + (long)p * groups * 64, groups, init + p * 16, tile);
                int cols = Math.Min(16, n - p * 16);
                for (int r = 0; r < count; r++)
                    new ReadOnlySpan<int>(tile + r * 16, cols).CopyTo(new Span<int>(dst + (long)(r0 + r) * dstStride + p * 16, cols));
            }
        }
    }

    public override void Prepare(GemmCall call)
    {
        int mr = TTile.Rows, rows = (call.M + mr - 1) / mr * mr, k = call.Weights.K, groups = call.Weights.Groups;
        for (int r = 0; r < rows; r++)
            TTile.PrepareRow(r < call.M ? call.A + (long)r * k : null, r < call.M ? k : 0, call.Prepared + r * call.Stride, groups);
    }

    public override void Run(GemmCall call, int part, int parts)
    {
        var w = call.Weights;
        int mr = TTile.Rows, n = w.N, groups = w.Groups;
        int rowBlocks = (call.M + mr - 1) / mr, panels = w.PaddedN / 16, panelGroups = (panels + PanelsPerGroup - 1) / PanelsPerGroup;
        long units = (long)rowBlocks * panelGroups, u0 = units * part / parts, u1 = units * (part + 1) / parts;
        int* tile = stackalloc int[16 * 16 + 16]; // ≥ Rows × 16, + slack for the epilogue's odd-lane loads
        int* init = TTile.UnsignedActivations ? w.InitUnsigned : w.InitSigned;
        var q = w.Requant;
        for (long u = u0; u < u1; u++)
        {
            int pg = (int)(u / rowBlocks), rb = (int)(u % rowBlocks), row0 = rb * mr;
            int rows = Math.Min(mr, call.M - row0);
            byte* a = call.Prepared + row0 * call.Stride;
            int pEnd = Math.Min(panels, (pg + 1) * PanelsPerGroup);
            for (int p = pg * PanelsPerGroup; p < pEnd; p++)
            {
                TTile.Compute(a, call.Stride, w.Panels + (long)p * groups * 64, groups, init + p * 16, tile);
                int col0 = p * 16, count = Math.Min(16, n - col0);
                long dst = (long)row0 * n + col0;
                if (call.Int16)
                    for (int r = 0; r < rows; r++) TEpilogue.Store(tile + r * 16, q, col0, count, (short*)call.Y + dst + (long)r * n);
                else
                    for (int r = 0; r < rows; r++) TEpilogue.Store(tile + r * 16, q, col0, count, (sbyte*)call.Y + dst + (long)r * n);
            }
        }
    }
}
