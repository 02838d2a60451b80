using System.Numerics.Tensors;
using Tensor = EdgeNorm.Model.Ir.Tensor;
using EdgeNorm.Calibration.Float.Kernels;
using EdgeNorm.Model.Ir;

namespace EdgeNorm.Calibration.Float.Ops;

internal struct AddF : IFloatBinaryVec
{
    public static float Apply(float a, float b) => a + b;
    public static void Vec(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> d) => TensorPrimitives.Add(a, b, d);
    public static void VecS(ReadOnlySpan<float> a, float b, Span<float> d) => TensorPrimitives.Add(a, b, d);
    public static void SVec(float a, ReadOnlySpan<float> b, Span<float> d) => TensorPrimitives.Add(b, a, d);
}

internal struct SubF : IFloatBinaryVec
{
    public static float Apply(float a, float b) => a - b;
    public static void Vec(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> d) => TensorPrimitives.Subtract(a, b, d);
    public static void VecS(ReadOnlySpan<float> a, float b, Span<float> d) => TensorPrimitives.Subtract(a, b, d);
    public static void SVec(float a, ReadOnlySpan<float> b, Span<float> d) => TensorPrimitives.Subtract(a, b, d);
}

internal struct MulF : IFloatBinaryVec
{
    public static float Apply(float a, float b) => a * b;
    public static void Vec(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> d) => TensorPrimitives.Multiply(a, b, d);
    public static void VecS(ReadOnlySpan<float> a, float b, Span<float> d) => TensorPrimitives.Multiply(a, b, d);
    public static void SVec(float a, ReadOnlySpan<float> b, Span<float> d) => TensorPrimitives.Multiply(b, a, d);
}

internal struct DivF : IFloatBinaryVec
{
    public static float Apply(float a, float b) => a / b;
    public static void Vec(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> d) => TensorPrimitives.Divide(a, b, d);
    public static void VecS(ReadOnlySpan<float> a, float b, Span<float> d) => TensorPrimitives.Divide(a, b, d);
    public static void SVec(float a, ReadOnlySpan<float> b, Span<float> d) => TensorPrimitives.Divide(a, b, d);
}

internal struct MaxF : IFloatBinary { public static float Apply(float a, float b) => float.IsNaN(a) || float.IsNaN(b) ? float.NaN : MathF.Max(a, b); }
internal struct MinF : IFloatBinary { public static float Apply(float a, float b) => float.IsNaN(a) || float.IsNaN(b) ? float.NaN : MathF.Min(a, b); }
internal struct PowF : IFloatBinary { public static float Apply(float a, float b) => MathF.Pow(a, b); }
internal struct FModF : IFloatBinary { public static float Apply(float a, float b) => a % b; }
internal struct PReluF : IFloatBinary { public static float Apply(float x, float slope) => x < 0 ? x * slope : x; }

internal struct AddL : ILongBinary { public static long Apply(long a, long b) => unchecked(a + b); }
internal struct SubL : ILongBinary { public static long Apply(long a, long b) => unchecked(a - b); }
internal struct MulL : ILongBinary { public static long Apply(long a, long b) => unchecked(a * b); }
internal struct DivL : ILongBinary
{
    public static long Apply(long a, long b) => b == 0 ? throw new FloatOpException("integer division by zero") : (b == -1 ? unchecked(-a) : a / b);
}
internal struct MaxL : ILongBinary { public static long Apply(long a, long b) => Math.Max(a, b); }
internal struct MinL : ILongBinary { public static long Apply(long a, long b) => Math.Min(a, b); }
internal struct AndL : ILongBinary { public static long Apply(long a, long b) => (a != 0 && b != 0) ? 1 : 0; }
internal struct OrL : ILongBinary { public static long Apply(long a, long b) => (a != 0 || b != 0) ? 1 : 0; }
internal struct XorL : ILongBinary { public static long Apply(long a, long b) => ((a != 0) ^ (b != 0)) ? 1 : 0; }
internal struct PReluL : ILongBinary { public static long Apply(long x, long slope) => x < 0 ? unchecked(x * slope) : x; }
internal struct PowL : ILongBinary
{
    public static long Apply(long a, long b)
    {
        if (b < 0) return a == 1 ? 1 : a == -1 ? ((b & 1) == 0 ? 1 : -1) : 0;
        long r = 1, p = a;
        while (b > 0)
        {
            if ((b & 1) != 0) r = unchecked(r * p);
            p = unchecked(p * p);
            b >>= 1;
        }
        return r;
    }
}
/// <summary>Integer Mod with fmod=0: the result has the sign of the divisor (Python's %).</summary>
internal struct ModL : ILongBinary
{
    public static long Apply(long a, long b)
    {
        if (b == 0) throw new FloatOpException("integer modulo by zero");
        long r = b == -1 ? 0 : a % b;
        if (r != 0 && ((r < 0) != (b < 0))) r += b;
        return r;
    }
}
/// <summary>Integer Mod with fmod=1: the result has the sign of the dividend (C's fmod).</summary>
internal struct FModL : ILongBinary
{
    public static long Apply(long a, long b) => b == 0 ? throw new FloatOpException("integer modulo by zero") : (b == -1 ? 0 : a % b);
}

internal struct EqualC : ICompare
{
    public static bool Apply(float a, float b) => a == b;
    public static bool Apply(long a, long b) => a == b;
}
internal struct LessC : ICompare
{
    public static bool Apply(float a, float b) => a < b;
    public static bool Apply(long a, long b) => a < b;
}
internal struct GreaterC : ICompare
{
    public static bool Apply(float a, float b) => a > b;
    public static bool Apply(long a, long b) => a > b;
}
internal struct LessOrEqualC : ICompare
{
    public static bool Apply(float a, float b) => a <= b;
    public static bool Apply(long a, long b) => a <= b;
}
internal struct GreaterOrEqualC : ICompare
{
    public static bool Apply(float a, float b) => a >= b;
    public static bool Apply(long a, long b) => a >= b;
}

/// <summary>Base of the ONNX elementwise ops with numpy broadcasting.</summary>
public abstract class BinaryOp : IFloatOp
{
    public string Domain => "";
    public abstract string OpType { get; }

    public Tensor[] Forward(OpContext context, Node node, Tensor?[] inputs)
    {
        var a = ShapeUtil.Required(inputs, 0, OpType);
        var b = ShapeUtil.Required(inputs, 1, OpType);
        return [Compute(node, a, b)];
    }

    protected abstract Tensor Compute(Node node, Tensor a, Tensor b);

    protected Tensor Arith<TF, TL>(Tensor a, Tensor b) where TF : struct, IFloatBinaryVec where TL : struct, ILongBinary
    {
        Elementwise.SameKind(OpType, a, b);
        return a.IsFloat ? Elementwise.FloatVec<TF>(a, b) : Elementwise.Long<TL>(a, b, a.DataType);
    }

    protected Tensor Scalar<TF, TL>(Tensor a, Tensor b) where TF : struct, IFloatBinary where TL : struct, ILongBinary
    {
        Elementwise.SameKind(OpType, a, b);
        return a.IsFloat ? Elementwise.Float<TF>(a, b) : Elementwise.Long<TL>(a, b, a.DataType);
    }

    protected Tensor Logic<TL>(Tensor a, Tensor b) where TL : struct, ILongBinary
    {
        if (a.DataType != DataType.Bool || b.DataType != DataType.Bool)
            throw new FloatOpException($"{OpType} needs bool operands, got {a.DataType.Name()} and {b.DataType.Name()}");
        return Elementwise.Long<TL>(a, b, DataType.Bool);
    }
}

public sealed class AddOp : BinaryOp
{
    public override string OpType => "Add";
    protected override Tensor Compute(Node node, Tensor a, Tensor b) => Arith<AddF, AddL>(a, b);
}

public sealed class SubOp : BinaryOp
{
    public override string OpType => "Sub";
    protected override Tensor Compute(Node node, Tensor a, Tensor b) => Arith<SubF, SubL>(a, b);
}

public sealed class MulOp : BinaryOp
{
    public override string OpType => "Mul";
    protected override Tensor Compute(Node node, Tensor a, Tensor b) => Arith<MulF, MulL>(a, b);
}

/// <summary>Div; integer division truncates toward zero (as ONNX Runtime's C++ kernel does).</summary>
public sealed class DivOp : BinaryOp
{
    public override string OpType => "Div";
    protected override Tensor Compute(Node node, Tensor a, Tensor b) => Arith<DivF, DivL>(a, b);
}

/// <summary>Pow (opset 13/15): base and exponent may have different types; the result has the base's type.</summary>
public sealed class PowOp : BinaryOp
{
    public override string OpType => "Pow";

    protected override Tensor Compute(Node node, Tensor a, Tensor b)
    {
        if (a.IsFloat)
        {
            var e = b.IsFloat ? b : Tensor.FromFloats(b.Shape, Array.ConvertAll(b.L, v => (float)v));
            if (e.Length == 1 && e.Rank <= a.Rank && (e.F[0] == 2f || e.F[0] == 1f))
            {
                // x^2 and x^1 are exact as products (what pow returns too); common in exported LayerNorms
                var sq = new float[a.F.Length];
                if (e.F[0] == 2f) TensorPrimitives.Multiply(a.F, a.F, sq);
                else a.F.AsSpan().CopyTo(sq);
                return Tensor.FromFloats(ShapeUtil.Broadcast(a.Shape, e.Shape), sq);
            }
            return Elementwise.Float<PowF>(a, e);
        }
        if (!b.IsFloat) return Elementwise.Long<PowL>(a, b, a.DataType);
        // integer base, float exponent: computed in double, truncated to the base's type.
        var shape = ShapeUtil.Broadcast(a.Shape, b.Shape);
        var ab = Elementwise.BroadcastTo(a, shape).L;
        var bb = Elementwise.BroadcastTo(b, shape).F;
        var o = new long[ab.Length];
        for (int i = 0; i < o.Length; i++) o[i] = ShapeUtil.Wrap(a.DataType, (long)Math.Pow(ab[i], bb[i]));
        return Tensor.FromLongs(a.DataType, shape, o);
    }
}

/// <summary>Mod: fmod=0 (integers only) takes the divisor's sign; fmod=1 takes the dividend's (C fmod).</summary>
public sealed class ModOp : BinaryOp
{
    public override string OpType => "Mod";

    protected override Tensor Compute(Node node, Tensor a, Tensor b)
    {
        bool fmod = node.GetInt("fmod", 0) != 0;
        Elementwise.SameKind(OpType, a, b);
        if (a.IsFloat)
        {
            if (!fmod) throw new FloatOpException("Mod on floats needs fmod=1");
            return Elementwise.Float<FModF>(a, b);
        }
        return fmod ? Elementwise.Long<FModL>(a, b, a.DataType) : Elementwise.Long<ModL>(a, b, a.DataType);
    }
}

public sealed class PReluOp : BinaryOp
{
    public override string OpType => "PRelu";
    protected override Tensor Compute(Node node, Tensor a, Tensor b) => Scalar<PReluF, PReluL>(a, b);
}

public sealed class EqualOp : BinaryOp
{
    public override string OpType => "Equal";
    protected override Tensor Compute(Node node, Tensor a, Tensor b) => Elementwise.Compare<EqualC>(a, b);
}

public sealed class LessOp : BinaryOp
{
    public override string OpType => "Less";
    protected override Tensor Compute(Node node, Tensor a, Tensor b) => Elementwise.Compare<LessC>(a, b);
}

public sealed class GreaterOp : BinaryOp
{
    public override string OpType => "Greater";
    protected override Tensor Compute(Node node, Tensor a, Tensor b) => Elementwise.Compare<GreaterC>(a, b);
}

public sealed class LessOrEqualOp : BinaryOp
{
    public override string OpType => "LessOrEqual";
    protected override Tensor Compute(Node node, Tensor a, Tensor b) => Elementwise.Compare<LessOrEqualC>(a, b);
}

public sealed class GreaterOrEqualOp : BinaryOp
{
    public override string OpType => "GreaterOrEqual";
    protected override Tensor Compute(Node node, Tensor a, Tensor b) => Elementwise.Compare<GreaterOrEqualC>(a, b);
}

public sealed class AndOp : BinaryOp
{
    public override string OpType => "And";
    protected override Tensor Compute(Node node, Tensor a, Tensor b) => Logic<AndL>(a, b);
}

public sealed class OrOp : BinaryOp
{
    public override string OpType => "Or";
    protected override Tensor Compute(Node node, Tensor a, Tensor b) => Logic<OrL>(a, b);
}

public sealed class XorOp : BinaryOp
{
    public override string OpType => "Xor";
    protected override Tensor Compute(Node node, Tensor a, Tensor b) => Logic<XorL>(a, b);
}

/// <summary>The variadic elementwise ops (Max, Min, Sum, Mean): a left fold with broadcasting.</summary>
public sealed class VariadicOp(string opType) : IFloatOp
{
    public string Domain => "";
    public string OpType { get; } = opType;

    public Tensor[] Forward(OpContext context, Node node, Tensor?[] inputs)
    {
        var list = inputs.Where(t => t is not null).Cast<Tensor>().ToList();
        if (list.Count == 0) throw new FloatOpException($"{OpType} needs at least one input");
        var acc = list[0];
        for (int i = 1; i < list.Count; i++)
        {
            var b = list[i];
            Elementwise.SameKind(OpType, acc, b);
            acc = OpType switch
            {
                "Max" => acc.IsFloat ? Elementwise.Float<MaxF>(acc, b) : Elementwise.Long<MaxL>(acc, b, acc.DataType),
                "Min" => acc.IsFloat ? Elementwise.Float<MinF>(acc, b) : Elementwise.Long<MinL>(acc, b, acc.DataType),
                _ => acc.IsFloat ? Elementwise.FloatVec<AddF>(acc, b) : Elementwise.Long<AddL>(acc, b, acc.DataType),
            };
        }
        if (list.Count == 1) acc = ShapeUtil.Reshaped(acc, acc.Shape);
        if (OpType == "Mean")
        {
            if (!acc.IsFloat) throw new FloatOpException("Mean needs float inputs");
            var o = new float[acc.F.Length];
            TensorPrimitives.Divide(acc.F, list.Count, o);
            acc = Tensor.FromFloats(acc.Shape, o);
        }
        return [acc];
    }
}
