using System.Numerics;
using EdgeNorm.Model.Ir;

namespace EdgeNorm.Calibration.MetaAug;

/// <summary>How a layer's weights enter the simulated model.</summary>
public enum WeightMode { Float, Soft, Hard }

/// <summary>
/// One Linear/PatchEmbed weight under AdaRound: per-output-channel symmetric int8 at the quantiser's scale
/// s_r = max|W_r|/127, w = s·clamp(⌊w/s⌋ + h(V), −127, 127). Soft uses h(V); hard uses h = [V ≥ 0] (at init this is
/// round-to-nearest). The scale is not learned: it is the one the quantiser computes, so the hard weights are exactly
/// the int8 values the .edgn stores.
/// </summary>
public sealed class RoundedWeights<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly double[] _floor;

    public Node Node { get; }
    public string WeightName { get; }
    public float[] Float { get; }
    public float[] Scales { get; }
    public int Rows { get; }
    public int Columns { get; }
    /// <summary>The rounding logits.</summary>
    public T[] V { get => _v; set { _v = value; _fixed = null; } }
    private T[] _v;
    public WeightMode Mode { get; set; } = WeightMode.Float;

    public RoundedWeights(Node node, string weightName, Tensor weight)
    {
        Node = node;
        WeightName = weightName;
        Float = weight.F;
        Rows = weight.Shape[0];
        Columns = (int)(weight.Length / Rows);
        Scales = new float[Rows];
        _floor = new double[Float.Length];
        _v = new T[Float.Length];
        for (int r = 0; r < Rows; r++)
        {
            float maxAbs = 0;
            for (int i = 0; i < Columns; i++) maxAbs = Math.Max(maxAbs, Math.Abs(Float[r * Columns + i]));
            Scales[r] = maxAbs > 0 ? maxAbs / 127f : 1f;   // as Quantizer.Linear
            for (int i = 0; i < Columns; i++)
            {
                double u = Float[r * Columns + i] / (double)Scales[r];
                double f = Math.Floor(u);
                _floor[r * Columns + i] = f;
                V[r * Columns + i] = T.CreateTruncating(AdaRound.InitialV(u - f));
            }
        }
    }

    private double Scale(int i) => Scales[i / Columns];

    private (WeightMode Mode, T[] Values)? _fixed;   // float and hard weights do not change between forwards

    /// <summary>The weights as the simulated model sees them in the current mode.</summary>
    public T[] Values()
    {
        if (Mode != WeightMode.Soft && _fixed is { } f && f.Mode == Mode) return f.Values;
        var w = Compute();
        _fixed = Mode == WeightMode.Soft ? null : (Mode, w);
        return w;
    }

    private T[] Compute()
    {
        var w = new T[Float.Length];
        for (int i = 0; i < w.Length; i++)
            w[i] = Mode switch
            {
                WeightMode.Float => T.CreateTruncating(Float[i]),
                WeightMode.Soft => T.CreateTruncating(Scale(i) * Math.Clamp(_floor[i] + AdaRound.H(double.CreateTruncating(V[i])), -127, 127)),
                _ => T.CreateTruncating(Scale(i) * Integer(i)),
            };
        return w;
    }

    private double Integer(int i) => Math.Clamp(_floor[i] + (V[i] >= T.Zero ? 1 : 0), -127, 127);

    /// <summary>The hard-rounded int8 weights [Rows·Columns].</summary>
    public sbyte[] Int8()
    {
        var q = new sbyte[Float.Length];
        for (int i = 0; i < q.Length; i++) q[i] = (sbyte)Integer(i);
        return q;
    }

    /// <summary>Adds ∂L/∂V to <paramref name="dV"/> given ∂L/∂w of the soft weights.</summary>
    public void Backward(T[] dW, T[] dV)
    {
        for (int i = 0; i < dV.Length; i++)
        {
            double u = _floor[i] + AdaRound.H(double.CreateTruncating(V[i]));
            if (u is < -127 or > 127) continue;
            dV[i] += T.CreateTruncating(double.CreateTruncating(dW[i]) * Scale(i) * AdaRound.DH(double.CreateTruncating(V[i])));
        }
    }

    /// <summary>λ·Σ f(h(V)) at β; adds its gradient to <paramref name="dV"/> when given.</summary>
    public double Regularizer(double beta, double lambda, T[]? dV)
    {
        double sum = 0;
        for (int i = 0; i < V.Length; i++)
        {
            double v = double.CreateTruncating(V[i]), h = AdaRound.H(v);
            sum += AdaRound.Regularizer(h, beta);
            if (dV is not null) dV[i] += T.CreateTruncating(lambda * AdaRound.RegularizerDerivative(h, beta) * AdaRound.DH(v));
        }
        return lambda * sum;
    }

    /// <summary>True when <paramref name="weights"/> and <paramref name="scales"/> are the ones this layer was built from.</summary>
    public bool Matches(float[] weights, float[] scales) => weights.AsSpan().SequenceEqual(Float) && scales.AsSpan().SequenceEqual(Scales);
}
