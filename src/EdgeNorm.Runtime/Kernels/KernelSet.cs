using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using EdgeNorm.Runtime.Execution;
using EdgeNorm.Runtime.Kernels.Gemm;
using EdgeNorm.Runtime.Platform;

namespace EdgeNorm.Runtime.Kernels;

/// <summary>
/// A session's kernel table, chosen once at creation (MLAS-style dispatch: no ISA checks in the inner loops), and
/// its worker threads. Also the stable entry point for benchmarks and tests: <c>KernelSet.Create(path, threads)</c>,
/// then <see cref="Gemm(GemmWeights, ReadOnlySpan{sbyte}, int, Span{sbyte}, Span{byte})"/>. One call at a time.
/// </summary>
public sealed unsafe class KernelSet : IDisposable, Platform.IGemmPath
{
    private readonly GemmKernel _gemm;
    private readonly WorkerPool _pool;
    private readonly GemmCall _call = new();

    /// <summary>The session's reusable attention-rows work item (QAttention fills and runs it).</summary>
    internal Vector.AttentionRows AttentionRows { get; } = new();

    private KernelSet(KernelPath path, int threads)
    {
        Path = path;
        _gemm = GemmKernel.For(path);
        _pool = new WorkerPool(threads);
    }

    /// <summary>Largest <see cref="Threads"/> accepted.</summary>
    public const int MaxThreads = 256;

    /// <summary>
    /// The kernels of <paramref name="path"/> (default <see cref="KernelPaths.Select"/>: EDGENORM_KERNELS or the best
    /// usable path) on <paramref name="threads"/> threads (the caller + threads − 1 workers started now).
    /// </summary>
    public static KernelSet Create(KernelPath? path = null, int threads = 1)
    {
        if (threads < 1 || threads > MaxThreads)
            throw new SessionConfigurationException($"threads must be between 1 and {MaxThreads}, got {threads}");
        return new KernelSet(KernelPaths.Select(path), threads);
    }

    /// <summary>The kernel path every op of this set runs.</summary>
    public KernelPath Path { get; }

    /// <summary>Threads a GEMM is split over.</summary>
    public int Threads => _pool.Threads;

    internal WorkerPool Pool => _pool;

    /// <summary>The int8 GEMM of <see cref="Path"/> (also attention's Q·Kᵀ).</summary>
    internal GemmKernel GemmKernel => _gemm;

    /// <summary>Scratch bytes a GEMM of <paramref name="m"/> rows and reduction length <paramref name="k"/> needs on any path.</summary>
    public static long GemmScratchBytes(int m, int k) => ((long)m + 16) * (((k + 3) / 4 * 8 + 63) & ~63L) + 64;

    /// <summary>
    /// <c>y[r, c] = sat8(Scale(bias[c] + Σ_k a[r, k]·W[c, k]; m[c]) + o[c])</c> for the <paramref name="m"/> rows of
    /// <paramref name="a"/> (row-major [m, K]) into <paramref name="y"/> ([m, N]); identical bytes on every path and
    /// thread count. <paramref name="scratch"/> holds <see cref="GemmScratchBytes"/>.
    /// </summary>
    public void Gemm(GemmWeights weights, ReadOnlySpan<sbyte> a, int m, Span<sbyte> y, Span<byte> scratch) =>
        Run(weights, a, m, ref Unsafe.As<sbyte, byte>(ref MemoryMarshal.GetReference(y)), y.Length, false, scratch);

    /// <summary>As the int8 overload, requantising to int16.</summary>
    public void Gemm(GemmWeights weights, ReadOnlySpan<sbyte> a, int m, Span<short> y, Span<byte> scratch) =>
        Run(weights, a, m, ref Unsafe.As<short, byte>(ref MemoryMarshal.GetReference(y)), y.Length, true, scratch);

    private void Run(GemmWeights w, ReadOnlySpan<sbyte> a, int m, ref byte y, int yLength, bool int16, Span<byte> scratch)
    {
        if (m < 0 || (long)m * w.K > a.Length) throw new ArgumentException($"{m} rows of K = {w.K} need {(long)m * w.K} activations, got {a.Length}", nameof(a));
        if ((long)m * w.N > yLength) throw new ArgumentException($"{m} rows of N = {w.N} need {(long)m * w.N} outputs, got {yLength}", nameof(y));
        if (scratch.Length < GemmScratchBytes(m, w.K)) throw new ArgumentException($"GEMM scratch needs {GemmScratchBytes(m, w.K)} bytes, got {scratch.Length}", nameof(scratch));
        if (m == 0) return;
        fixed (sbyte* pa = a)
        fixed (byte* py = &y)
        fixed (byte* ps = scratch)
        {
            // The pins hold until every part is done: WorkerPool.Run returns only then.
            var c = _call;
            c.Kernel = _gemm;
            c.Weights = w;
            c.A = pa;
            c.M = m;
            c.Prepared = (byte*)(((nint)ps + 63) & ~(nint)63);
            c.Stride = _gemm.RowStride(w.Groups);
            c.Y = py;
            c.Int16 = int16;
            _gemm.Prepare(c);
            _pool.Run(c);
            c.Weights = null!;
            c.A = null;
            c.Y = null;
        }
    }

    /// <summary>
    /// <c>dst[r·n + j] = Σ_t a[r·aStride + t]·b[j·bStride + t]</c> (t &lt; k) on this path's micro-kernel, the way
    /// attention's Q·Kᵀ runs it (<see cref="PanelPacker"/>, <see cref="GemmKernel.Products"/>). For tests and
    /// benchmarks: it allocates its packing buffers.
    /// </summary>
    internal void Products(ReadOnlySpan<sbyte> a, int aStride, int m, ReadOnlySpan<sbyte> b, int bStride, int n, int k, Span<int> dst)
    {
        if ((long)(m - 1) * aStride + k > a.Length || (long)(n - 1) * bStride + k > b.Length || (long)m * n > dst.Length)
            throw new ArgumentException("operands too short for the shape");
        int groups = PanelPacker.Groups(k);
        nint stride = _gemm.RowStride(groups);
        var panels = new byte[PanelPacker.Bytes(n, k)];
        var init = new int[PanelPacker.Panels(n) * 16];
        var prepared = new byte[(m + _gemm.TileRows) * stride];
        fixed (sbyte* pa = a)
        fixed (sbyte* pb = b)
        fixed (byte* pp = panels)
        fixed (int* pi = init)
        fixed (byte* pr = prepared)
        fixed (int* py = dst)
        {
            PanelPacker.Pack(pb, bStride, n, k, _gemm, pp, pi);
            _gemm.PrepareRows(pa, aStride, m, k, pr, stride);
            _gemm.Products(pr, stride, m, pp, groups, n, pi, py, n);
        }
    }

    void Platform.IGemmPath.Products(ReadOnlySpan<sbyte> a, int aStride, int m, ReadOnlySpan<sbyte> b, int bStride, int n, int k, Span<int> dst) =>
        Products(a, aStride, m, b, bStride, n, k, dst);

    /// <summary>Stops the worker threads.</summary>
    public void Dispose() => _pool.Dispose();
}
