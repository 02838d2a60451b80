using System.Runtime.InteropServices;
using EdgeNorm.Model.Format;
using EdgeNorm.Model.Ir;
using EdgeNorm.Runtime.Execution;
using EdgeNorm.Runtime.Numerics.Offline;
using EdgeNorm.Runtime.Platform;
using Xunit;

namespace EdgeNorm.Runtime.Tests.VectorKernels;

/// <summary>
/// The QAttention op on a small random graph writes the same bytes on every usable kernel path as on Scalar (the
/// reference kernels): scores, i-exp, codes, × V, renormalisation and the output requant together.
/// </summary>
public class AttentionOpPathTests
{
    private static byte[] Model(int tokens, int heads, int dh, string softmax, bool renormalize, bool masked)
    {
        var exp = IntExpBuilder.IBert(1e-3, 30);
        var logit = DyadicMultiplierBuilder.FromReal(0.05 * 0.05 / 1e-3);
        var outM = DyadicMultiplierBuilder.FromReal(Math.ScaleB(1, -15));
        var outOdd = DyadicMultiplierBuilder.FromReal(Math.ScaleB(1, -15) * Math.Sqrt(2));
        var attributes = new Dictionary<string, EdgnAttribute>
        {
            ["num_heads"] = EdgnAttribute.Of((long)heads),
            ["softmax"] = EdgnAttribute.Of(softmax),
            ["renormalize"] = EdgnAttribute.Of(renormalize ? 1L : 0L),
            ["logit_multiplier"] = EdgnAttribute.Of([logit.Multiplier, logit.Shift]),
            ["out_multiplier"] = EdgnAttribute.Of([outM.Multiplier, outM.Shift]),
            ["out_multiplier_odd"] = EdgnAttribute.Of([outOdd.Multiplier, outOdd.Shift]),
            ["exp"] = EdgnAttribute.Of([exp.X0, exp.Bq, exp.Cq, exp.Output.Multiplier, exp.Output.Shift]),
        };
        var b = new EdgnBuilder()
            .AddInput("qkv", DataType.Int8, [-1, tokens, 3 * heads * dh], QuantParams.PerTensor(0.05f));
        if (masked) b.AddInput("mask", DataType.Int64, [-1, tokens]);
        return b.AddOutput("y", DataType.Int8, [-1, tokens, heads * dh], QuantParams.PerTensor(0.05f))
            .AddNode("attn", "QAttention", masked ? ["qkv", "", "", "mask"] : ["qkv"], ["y"], attributes)
            .ToArray();
    }

    private static sbyte[] Run(EdgeNormModel model, KernelPath path, sbyte[] qkv, long[] mask, int batch, int threads = 1)
    {
        using var kernels = Kernels.KernelSet.Create(path, threads);
        var plan = model.Plan;
        var offsets = plan.Layout(batch, out long arenaBytes, out long scratchBytes);
        var arena = new byte[arenaBytes];
        var scratch = new byte[Math.Max(scratchBytes, 64)];
        MemoryMarshal.AsBytes(qkv.AsSpan()).CopyTo(arena.AsSpan((int)offsets[plan.InputSlots[0]]));
        if (plan.InputSlots.Length > 1) MemoryMarshal.AsBytes(mask.AsSpan()).CopyTo(arena.AsSpan((int)offsets[plan.InputSlots[1]]));
        foreach (var op in plan.Ops) op.Execute(new OpContext(arena, scratch, plan.Slots, offsets, batch, kernels) { Path = path });
        int outSlot = plan.OutputSlots[0];
        return MemoryMarshal.Cast<byte, sbyte>(arena.AsSpan((int)offsets[outSlot], (int)plan.Slots[outSlot].Bytes(batch))).ToArray();
    }

    [Theory]
    [InlineData("lis", false, false, 64)]
    [InlineData("lis", true, true, 64)]
    [InlineData("logsqrt2", false, true, 64)]
    [InlineData("logsqrt2", true, false, 16)]
    [InlineData("lis", false, true, 12)] // a head dimension no vector loop takes whole
    public void VectorPaths_WriteTheScalarBytes(string softmax, bool renormalize, bool masked, int dh)
    {
        const int tokens = 37, heads = 3, batch = 2;
        var model = EdgeNormModel.Load(Model(tokens, heads, dh, softmax, renormalize, masked));
        var rng = new Random(dh + tokens);
        var qkv = new sbyte[batch * tokens * 3 * heads * dh];
        foreach (ref var v in qkv.AsSpan()) v = (sbyte)rng.Next(-128, 128);
        var mask = new long[batch * tokens];
        for (int i = 0; i < mask.Length; i++) mask[i] = i < tokens ? (i % 5 == 0 ? 0 : 1) : 0; // sample 2: every key masked
        var expected = Run(model, KernelPath.Scalar, qkv, mask, batch);
        Assert.Contains(expected, v => v != 0);
        foreach (var path in KernelPaths.Usable.Where(p => p != KernelPath.Scalar))
            SpanAssert.Equal(expected, Run(model, path, qkv, mask, batch), KernelPaths.Name(path));
    }

    /// <summary>
    /// The query rows run as a fixed partition of (head, row block) units over the session's threads: the bytes do not
    /// depend on the thread count, including more threads than units (5 tokens, 1 head) and rows whose scratch does
    /// not fit a worker's stack (2700 tokens).
    /// </summary>
    [Theory]
    [InlineData("logsqrt2", true, 197, 3, 64)]
    [InlineData("lis", false, 37, 3, 16)]
    [InlineData("lis", true, 5, 1, 8)]
    [InlineData("logsqrt2", false, 2700, 1, 8)] // rows too long for a worker's stack: one thread, the op's scratch
    public void VectorPaths_WriteTheScalarBytes_OnAnyThreadCount(string softmax, bool renormalize, int tokens, int heads, int dh)
    {
        const int batch = 2;
        var model = EdgeNormModel.Load(Model(tokens, heads, dh, softmax, renormalize, masked: false));
        var rng = new Random(tokens * heads);
        var qkv = new sbyte[batch * tokens * 3 * heads * dh];
        foreach (ref var v in qkv.AsSpan()) v = (sbyte)rng.Next(-128, 128);
        var expected = Run(model, KernelPath.Scalar, qkv, [], batch);
        Assert.Contains(expected, v => v != 0);
        foreach (var path in KernelPaths.Usable.Where(p => p != KernelPath.Scalar))
            foreach (int threads in (ReadOnlySpan<int>)[1, 2, 3, 8])
                SpanAssert.Equal(expected, Run(model, path, qkv, [], batch, threads), $"{KernelPaths.Name(path)} threads={threads}");
    }
}
