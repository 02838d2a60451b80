using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using EdgeNorm.Runtime.Execution;
using EdgeNorm.Runtime.Kernels.Gemm;
using EdgeNorm.Runtime.Numerics;

namespace EdgeNorm.Runtime.Kernels.Vector;

/// <summary>The constants of one QAttention node (immutable; shared by every session of the model).</summary>
internal sealed record AttentionSpec(int Heads, int HeadDim, int Tokens, bool Lis, bool Renormalize, DyadicMultiplier Logit,
    DyadicMultiplier Out, DyadicMultiplier OutOdd, IBertExpParameters Exp)
{
    /// <summary>Query rows per work unit: small enough to balance 2–8 threads over 3 heads, a whole number of 2-, 4- and 8-row tiles.</summary>
    public const int RowsPerUnit = 8;

    /// <summary>Prepared query rows a unit may need: RowsPerUnit rounded up to any tile height (≤ 8; 6 → 12).</summary>
    private const int PreparedRows = 16;

    /// <summary>Row blocks per head.</summary>
    public int Blocks => (Tokens + RowsPerUnit - 1) / RowsPerUnit;

    /// <summary>Bytes of one prepared query row on any path (≤ 8 bytes per group of 4, 64-aligned).</summary>
    public int PreparedStride => (PanelPacker.Groups(HeadDim) * 8 + 63) & ~63;

    /// <summary>
    /// Bytes of one part's scratch: the unit's prepared query rows, its int32 logits (RowsPerUnit × S), e (int32 × S),
    /// acc and odd (int32 × Dh), codes (S).
    /// </summary>
    public int RowScratchBytes => checked(PreparedRows * PreparedStride + 4 * RowsPerUnit * Tokens + 4 * Tokens + 8 * HeadDim + Align4(Tokens));

    /// <summary>Bytes of one head's keys as GEMM panels.</summary>
    public int KeyPanelBytes => checked((int)PanelPacker.Bytes(Tokens, HeadDim));

    /// <summary>Start values per head (one per padded key).</summary>
    public int KeyInitCount => PanelPacker.Panels(Tokens) * 16;

    public static int Align4(int bytes) => (bytes + 3) & ~3;
}

/// <summary>
/// The per-query-row half of the vector attention for one sample, as parallel work: units are (head, block of
/// <see cref="AttentionSpec.RowsPerUnit"/> query rows), head-major, and part p of P runs units [U·p/P, U·(p+1)/P).
/// A unit computes its rows' Q·Kᵀ on the session's GEMM micro-kernel (keys packed as panels by the op, raw int32
/// products), then per row the logit requant, i-exp, codes, × V (<see cref="WeightedValueRows"/>) and the output
/// requant. Every row is computed by the same code whatever the partition, so the bytes do not depend on the thread
/// count. One instance per session (<see cref="KernelSet"/>), refilled for every call: nothing is allocated per inference.
/// </summary>
internal sealed unsafe class AttentionRows : IParallelWork
{
    /// <summary>Largest part scratch taken from a thread's stack; larger runs on one thread with <see cref="SharedScratch"/>.</summary>
    public const int MaxStackScratch = 96 * 1024;

    public AttentionSpec Spec = null!;
    public VectorWidth Width;
    public GemmKernel Kernel = null!;
    public sbyte* Q;          // query rows of this sample: row i of head h at Q + i·QStride + h·Dh
    public int QStride;
    public sbyte* Y;          // output rows: row i of head h at Y + i·Heads·Dh + h·Dh
    public byte* Mask;        // S bytes (1 = attend), or null
    public byte* KeyPanels;   // per head: Spec.KeyPanelBytes
    public int* KeyInit;      // per head: Spec.KeyInitCount
    public short* V16;        // per head: S × Dh int16
    public byte* SharedScratch; // RowScratchBytes, for a single-part run of rows too long for the stack

    [SkipLocalsInit] // every scratch row is written before it is read
    public void Execute(int part, int parts)
    {
        var spec = Spec;
        long units = (long)spec.Heads * spec.Blocks, u0 = units * part / parts, u1 = units * (part + 1) / parts;
        if (u0 == u1) return;
        int bytes = spec.RowScratchBytes;
        Span<byte> scratch = bytes <= MaxStackScratch ? stackalloc byte[bytes] : new Span<byte>(SharedScratch, bytes);
        int s = spec.Tokens, dh = spec.HeadDim, groups = PanelPacker.Groups(dh);
        nint stride = Kernel.RowStride(groups);
        fixed (byte* ps = scratch)
        {
            byte* prepared = ps;
            int* logits = (int*)(ps + 16 * spec.PreparedStride);
            var rest = scratch[(16 * spec.PreparedStride + 4 * AttentionSpec.RowsPerUnit * s)..];
            for (long u = u0; u < u1; u++)
            {
                int h = (int)(u / spec.Blocks), first = (int)(u % spec.Blocks) * AttentionSpec.RowsPerUnit;
                int rows = Math.Min(s, first + AttentionSpec.RowsPerUnit) - first;
                Kernel.PrepareRows(Q + (long)first * QStride + h * dh, QStride, rows, dh, prepared, stride);
                Kernel.Products(prepared, stride, rows, KeyPanels + (long)h * spec.KeyPanelBytes, groups, s,
                    KeyInit + (long)h * spec.KeyInitCount, logits, s);
                for (int r = 0; r < rows; r++) Row(h, first + r, new Span<int>(logits + r * s, s), rest);
            }
        }
    }

    /// <summary>One query row from its raw scores: logit requant, i-exp, codes, × V, renormalisation, output requant.</summary>
    private void Row(int h, int i, Span<int> logits, Span<byte> scratch)
    {
        var spec = Spec;
        int s = spec.Tokens, dh = spec.HeadDim, o = 0;
        var e = Cast<int>(scratch, ref o, s);
        var acc = Cast<int>(scratch, ref o, dh);
        var odd = Cast<int>(scratch, ref o, dh);
        var codes = Cast<byte>(scratch, ref o, s);
        var mask = Mask == null ? default : new ReadOnlySpan<byte>(Mask, s);
        var v16 = new ReadOnlySpan<short>(V16 + (long)h * s * dh, s * dh);
        AttentionVector.RequantizeInPlace(logits, spec.Logit.Multiplier, spec.Logit.Shift, Width);
        SoftmaxVector.IBertExpRow(logits, mask, spec.Exp, e, Width);
        var dst = new Span<sbyte>(Y + (long)i * spec.Heads * dh + h * dh, dh);
        if (spec.Lis)
        {
            SoftmaxVector.LisCodes(e, codes, Width);
            WeightedValueRows.Lis(codes, v16, acc, Width);
            if (spec.Renormalize) AttentionVector.Renormalize(acc, Log2Codes.DequantizedSumLis(codes), Width);
            RequantizeVector.PerTensor(acc, dst, spec.Out, Width);
        }
        else
        {
            SoftmaxVector.LogSqrt2Codes(e, codes, Width);
            WeightedValueRows.LogSqrt2(codes, v16, acc, odd, Width);
            if (spec.Renormalize)
            {
                int sum = Log2Codes.DequantizedSumLogSqrt2(codes);
                AttentionVector.Renormalize(acc, sum, Width);
                AttentionVector.Renormalize(odd, sum, Width);
            }
            RequantizeVector.AddScaled(acc, spec.Out, odd, spec.OutOdd, dst, Width);
        }
    }

    private static Span<T> Cast<T>(Span<byte> scratch, ref int offset, int count) where T : unmanaged
    {
        var s = MemoryMarshal.Cast<byte, T>(scratch.Slice(offset, count * sizeof(T)));
        offset += AttentionSpec.Align4(count * sizeof(T));
        return s;
    }
}
