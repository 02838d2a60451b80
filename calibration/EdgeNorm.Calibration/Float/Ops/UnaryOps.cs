using System.Numerics.Tensors;
using Tensor = EdgeNorm.Model.Ir.Tensor;
using EdgeNorm.Calibration.Float.Kernels;
using EdgeNorm.Model.Ir;

namespace EdgeNorm.Calibration.Float.Ops;

/// <summary>Base of the float elementwise functions of one input (one small subclass per ONNX op).</summary>
public abstract class UnaryFloatOp : IFloatOp
{
    public string Domain => "";
    public abstract string OpType { get; }

    public virtual Tensor[] Forward(OpContext context, Node node, Tensor?[] inputs)
    {
        var x = ShapeUtil.Required(inputs, 0, OpType);
        if (!x.IsFloat) return [Integer(node, x)];
        var o = new float[x.F.Length];
        Apply(node, x.F, o);
        return [Tensor.FromFloats(x.Shape, o)];
    }

    protected abstract void Apply(Node node, ReadOnlySpan<float> x, Span<float> d);

    /// <summary>The op on an integer tensor; most float functions refuse.</summary>
    protected virtual Tensor Integer(Node node, Tensor x) =>
        throw new FloatOpException($"{OpType} does not support {x.DataType.Name()} inputs");

    protected static Tensor MapLong(Tensor x, Func<long, long> f)
    {
        var s = x.L;
        var o = new long[s.Length];
        for (int i = 0; i < o.Length; i++) o[i] = ShapeUtil.Wrap(x.DataType, f(s[i]));
        return Tensor.FromLongs(x.DataType, x.Shape, o);
    }
}

public sealed class AbsOp : UnaryFloatOp
{
    public override string OpType => "Abs";
    protected override void Apply(Node n, ReadOnlySpan<float> x, Span<float> d) => TensorPrimitives.Abs(x, d);
    protected override Tensor Integer(Node n, Tensor x) => MapLong(x, v => v < 0 ? -v : v);
}

public sealed class NegOp : UnaryFloatOp
{
    public override string OpType => "Neg";
    protected override void Apply(Node n, ReadOnlySpan<float> x, Span<float> d) => TensorPrimitives.Negate(x, d);
    protected override Tensor Integer(Node n, Tensor x) => MapLong(x, v => unchecked(-v));
}

public sealed class SignOp : UnaryFloatOp
{
    public override string OpType => "Sign";
    protected override void Apply(Node n, ReadOnlySpan<float> x, Span<float> d)
    {
        for (int i = 0; i < d.Length; i++) d[i] = x[i] > 0 ? 1 : x[i] < 0 ? -1 : x[i] == 0 ? 0 : float.NaN;
    }
    protected override Tensor Integer(Node n, Tensor x) => MapLong(x, v => Math.Sign(v));
}

public sealed class ReluOp : UnaryFloatOp
{
    public override string OpType => "Relu";
    protected override void Apply(Node n, ReadOnlySpan<float> x, Span<float> d)
    {
        for (int i = 0; i < d.Length; i++) d[i] = x[i] > 0 ? x[i] : 0f;
    }
    protected override Tensor Integer(Node n, Tensor x) => MapLong(x, v => v > 0 ? v : 0);
}

public sealed class SqrtOp : UnaryFloatOp
{
    public override string OpType => "Sqrt";
    protected override void Apply(Node n, ReadOnlySpan<float> x, Span<float> d) => TensorPrimitives.Sqrt(x, d);
}

public sealed class ExpOp : UnaryFloatOp
{
    public override string OpType => "Exp";
    protected override void Apply(Node n, ReadOnlySpan<float> x, Span<float> d) => TensorPrimitives.Exp(x, d);
}

public sealed class LogOp : UnaryFloatOp
{
    public override string OpType => "Log";
    protected override void Apply(Node n, ReadOnlySpan<float> x, Span<float> d) => TensorPrimitives.Log(x, d);
}

public sealed class TanhOp : UnaryFloatOp
{
    public override string OpType => "Tanh";
    protected override void Apply(Node n, ReadOnlySpan<float> x, Span<float> d) => TensorPrimitives.Tanh(x, d);
}

public sealed class SigmoidOp : UnaryFloatOp
{
    public override string OpType => "Sigmoid";
    protected override void Apply(Node n, ReadOnlySpan<float> x, Span<float> d) => TensorPrimitives.Sigmoid(x, d);
}

public sealed class SinOp : UnaryFloatOp
{
    public override string OpType => "Sin";
    protected override void Apply(Node n, ReadOnlySpan<float> x, Span<float> d) => TensorPrimitives.Sin(x, d);
}

public sealed class CosOp : UnaryFloatOp
{
    public override string OpType => "Cos";
    protected override void Apply(Node n, ReadOnlySpan<float> x, Span<float> d) => TensorPrimitives.Cos(x, d);
}

public sealed class FloorOp : UnaryFloatOp
{
    public override string OpType => "Floor";
    protected override void Apply(Node n, ReadOnlySpan<float> x, Span<float> d) => TensorPrimitives.Floor(x, d);
}

public sealed class CeilOp : UnaryFloatOp
{
    public override string OpType => "Ceil";
    protected override void Apply(Node n, ReadOnlySpan<float> x, Span<float> d) => TensorPrimitives.Ceiling(x, d);
}

/// <summary>Round: half to even.</summary>
public sealed class RoundOp : UnaryFloatOp
{
    public override string OpType => "Round";
    protected override void Apply(Node n, ReadOnlySpan<float> x, Span<float> d)
    {
        for (int i = 0; i < d.Length; i++) d[i] = MathF.Round(x[i], MidpointRounding.ToEven);
    }
}

public sealed class ReciprocalOp : UnaryFloatOp
{
    public override string OpType => "Reciprocal";
    protected override void Apply(Node n, ReadOnlySpan<float> x, Span<float> d) => TensorPrimitives.Divide(1f, x, d);
}

/// <summary>Erf, computed in double to full float accuracy.</summary>
public sealed class ErfOp : UnaryFloatOp
{
    public override string OpType => "Erf";
    protected override void Apply(Node n, ReadOnlySpan<float> x, Span<float> d)
    {
        for (int i = 0; i < d.Length; i++) d[i] = (float)Erf(x[i]);
    }

    /// <summary>
    /// erf(x) = 2/√π · e^(−x²) · Σ 2ⁿx^(2n+1) / (1·3·…·(2n+1)): every term is positive (no cancellation), so the
    /// series is accurate to double rounding; beyond |x| ≥ 4, erf rounds to ±1 in float.
    /// </summary>
    public static double Erf(double x)
    {
        double ax = Math.Abs(x);
        if (ax >= 4) return x > 0 ? 1 : -1;
        if (double.IsNaN(x)) return double.NaN;
        double x2 = 2 * x * x, term = x, sum = x;
        var inv = OddReciprocals;
        for (int k = 1; k < inv.Length; k++)
        {
            term *= x2 * inv[k];
            sum += term;
            if (Math.Abs(term) <= 1e-12 * Math.Abs(sum)) break;
        }
        return 1.1283791670955126 * Math.Exp(-x * x) * sum;
    }

    /// <summary>1/(2k+1), so the series needs no division.</summary>
    private static readonly double[] OddReciprocals = Enumerable.Range(0, 160).Select(k => 1.0 / (2 * k + 1)).ToArray();
}

public sealed class SoftplusOp : UnaryFloatOp
{
    public override string OpType => "Softplus";
    protected override void Apply(Node n, ReadOnlySpan<float> x, Span<float> d)
    {
        for (int i = 0; i < d.Length; i++)
        {
            double v = x[i];
            d[i] = (float)(Math.Max(v, 0) + Math.Log(1 + Math.Exp(-Math.Abs(v))));
        }
    }
}

public sealed class SoftsignOp : UnaryFloatOp
{
    public override string OpType => "Softsign";
    protected override void Apply(Node n, ReadOnlySpan<float> x, Span<float> d)
    {
        for (int i = 0; i < d.Length; i++) d[i] = x[i] / (1 + MathF.Abs(x[i]));
    }
}

public sealed class LeakyReluOp : UnaryFloatOp
{
    public override string OpType => "LeakyRelu";
    protected override void Apply(Node n, ReadOnlySpan<float> x, Span<float> d)
    {
        float alpha = n.GetFloat("alpha", 0.01f);
        for (int i = 0; i < d.Length; i++) d[i] = x[i] < 0 ? alpha * x[i] : x[i];
    }
}

public sealed class EluOp : UnaryFloatOp
{
    public override string OpType => "Elu";
    protected override void Apply(Node n, ReadOnlySpan<float> x, Span<float> d)
    {
        float alpha = n.GetFloat("alpha", 1f);
        for (int i = 0; i < d.Length; i++) d[i] = x[i] < 0 ? alpha * (MathF.Exp(x[i]) - 1) : x[i];
    }
}

public sealed class SeluOp : UnaryFloatOp
{
    public override string OpType => "Selu";
    protected override void Apply(Node n, ReadOnlySpan<float> x, Span<float> d)
    {
        float alpha = n.GetFloat("alpha", 1.67326319217681884765625f);
        float gamma = n.GetFloat("gamma", 1.05070102214813232421875f);
        for (int i = 0; i < d.Length; i++) d[i] = x[i] <= 0 ? gamma * (alpha * MathF.Exp(x[i]) - alpha) : gamma * x[i];
    }
}

public sealed class HardSigmoidOp : UnaryFloatOp
{
    public override string OpType => "HardSigmoid";
    protected override void Apply(Node n, ReadOnlySpan<float> x, Span<float> d)
    {
        float alpha = n.GetFloat("alpha", 0.2f), beta = n.GetFloat("beta", 0.5f);
        for (int i = 0; i < d.Length; i++) d[i] = Math.Clamp(alpha * x[i] + beta, 0f, 1f);
    }
}

public sealed class HardSwishOp : UnaryFloatOp
{
    public override string OpType => "HardSwish";
    protected override void Apply(Node n, ReadOnlySpan<float> x, Span<float> d)
    {
        for (int i = 0; i < d.Length; i++) d[i] = x[i] * Math.Clamp(x[i] / 6f + 0.5f, 0f, 1f);
    }
}

/// <summary>Not: logical negation of a bool tensor.</summary>
public sealed class NotOp : IFloatOp
{
    public string Domain => "";
    public string OpType => "Not";

    public Tensor[] Forward(OpContext context, Node node, Tensor?[] inputs)
    {
        var x = ShapeUtil.Required(inputs, 0, OpType);
        if (x.DataType != DataType.Bool) throw new FloatOpException($"Not needs a bool input, got {x.DataType.Name()}");
        return [Tensor.FromLongs(DataType.Bool, x.Shape, Array.ConvertAll(x.L, v => v != 0 ? 0L : 1L))];
    }
}

/// <summary>Identity; also Dropout in inference mode (the optional mask output is all true).</summary>
public sealed class IdentityOp(string opType = "Identity") : IFloatOp
{
    public string Domain => "";
    public string OpType { get; } = opType;

    public Tensor[] Forward(OpContext context, Node node, Tensor?[] inputs)
    {
        var x = ShapeUtil.Required(inputs, 0, OpType);
        if (OpType == "Dropout")
        {
            if (ShapeUtil.Optional(inputs, 2) is { } training && training.L.Length > 0 && training.L[0] != 0)
                throw new FloatOpException("Dropout in training mode is not supported (the float executor is for inference)");
            var mask = Tensor.FromLongs(DataType.Bool, x.Shape, Enumerable.Repeat(1L, (int)x.Length).ToArray());
            return node.Outputs.Count > 1 ? [x, mask] : [x];
        }
        return [x];
    }
}

/// <summary>Clip (opset 11+): min and max are optional inputs.</summary>
public sealed class ClipOp : IFloatOp
{
    public string Domain => "";
    public string OpType => "Clip";

    public Tensor[] Forward(OpContext context, Node node, Tensor?[] inputs)
    {
        var x = ShapeUtil.Required(inputs, 0, OpType);
        var lo = ShapeUtil.Optional(inputs, 1);
        var hi = ShapeUtil.Optional(inputs, 2);
        if (x.IsFloat)
        {
            float min = lo is null ? float.NegativeInfinity : lo.F[0];
            float max = hi is null ? float.PositiveInfinity : hi.F[0];
            var s = x.F;
            var o = new float[s.Length];
            for (int i = 0; i < o.Length; i++)
            {
                float v = s[i];
                o[i] = v < min ? min : v > max ? max : v;
            }
            return [Tensor.FromFloats(x.Shape, o)];
        }
        long lmin = lo is null ? long.MinValue : lo.L[0];
        long lmax = hi is null ? long.MaxValue : hi.L[0];
        return [Tensor.FromLongs(x.DataType, x.Shape, Array.ConvertAll(x.L, v => v < lmin ? lmin : v > lmax ? lmax : v))];
    }
}
