using System.Numerics;

namespace EdgeNorm.Calibration.MetaAug;

/// <summary>
/// MetaAug's transformation network T, small by design (calibration.md §6.2: the reference 31 M-parameter UNet is
/// impractical on a CPU): T(x) = x + conv₂(relu(conv₁(x))), both 3×3 with zero padding, C → H hidden → C channels.
/// conv₂ starts at zero, so T starts as the identity. Parameters are one flat array
/// [W₁ (H·C·9), b₁ (H), W₂ (C·H·9), b₂ (C)]; forward keeps what backward needs (one network runs on one thread).
/// </summary>
public sealed class TransformNet<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly int _c, _hidden, _h, _w;
    private T[] _x = [], _pre = [];
    private int _batch;

    public T[] Parameters { get; }

    public TransformNet(int channels, int height, int width, int hidden, int seed)
    {
        (_c, _h, _w, _hidden) = (channels, height, width, hidden);
        Parameters = new T[hidden * channels * 9 + hidden + channels * hidden * 9 + channels];
        var rng = new Random(seed);
        double std = Math.Sqrt(2.0 / (channels * 9));   // He init of conv₁; conv₂ = 0 keeps T the identity
        for (int i = 0; i < hidden * channels * 9; i++)
            Parameters[i] = T.CreateTruncating(std * Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));
    }

    private int B1 => _hidden * _c * 9;
    private int W2 => B1 + _hidden;
    private int B2 => W2 + _c * _hidden * 9;

    /// <summary>T(x) for a batch [B, C, H, W] (flat).</summary>
    public T[] Forward(T[] x)
    {
        int plane = _h * _w;
        _batch = x.Length / (_c * plane);
        _x = x;
        _pre = Conv(x, _c, _hidden, 0, B1);
        var act = new T[_pre.Length];
        for (int i = 0; i < act.Length; i++) act[i] = T.Max(_pre[i], T.Zero);
        var y = Conv(act, _hidden, _c, W2, B2);
        for (int i = 0; i < y.Length; i++) y[i] += x[i];
        return y;
    }

    /// <summary>∂L/∂parameters given ∂L/∂T(x) of the last forward.</summary>
    public T[] Backward(T[] dy)
    {
        var grad = new T[Parameters.Length];
        var act = new T[_pre.Length];
        for (int i = 0; i < act.Length; i++) act[i] = T.Max(_pre[i], T.Zero);
        var dAct = ConvBackward(act, dy, _hidden, _c, W2, B2, grad);
        for (int i = 0; i < dAct.Length; i++) if (_pre[i] <= T.Zero) dAct[i] = T.Zero;
        ConvBackward(_x, dAct, _c, _hidden, 0, B1, grad);
        return grad;
    }

    private T[] Conv(T[] x, int cin, int cout, int w, int b)
    {
        var p = Parameters;
        var y = new T[_batch * cout * _h * _w];
        for (int n = 0; n < _batch; n++)
            for (int o = 0; o < cout; o++)
                for (int i = 0; i < _h; i++)
                    for (int j = 0; j < _w; j++)
                    {
                        T sum = p[b + o];
                        for (int c = 0; c < cin; c++)
                            for (int di = -1; di <= 1; di++)
                            {
                                int ii = i + di;
                                if (ii < 0 || ii >= _h) continue;
                                for (int dj = -1; dj <= 1; dj++)
                                {
                                    int jj = j + dj;
                                    if (jj < 0 || jj >= _w) continue;
                                    sum += p[w + ((o * cin + c) * 3 + di + 1) * 3 + dj + 1] * x[((n * cin + c) * _h + ii) * _w + jj];
                                }
                            }
                        y[((n * cout + o) * _h + i) * _w + j] = sum;
                    }
        return y;
    }

    /// <summary>Accumulates ∂W, ∂b of one convolution into <paramref name="grad"/>; returns ∂x.</summary>
    private T[] ConvBackward(T[] x, T[] dy, int cin, int cout, int w, int b, T[] grad)
    {
        var p = Parameters;
        var dx = new T[x.Length];
        for (int n = 0; n < _batch; n++)
            for (int o = 0; o < cout; o++)
                for (int i = 0; i < _h; i++)
                    for (int j = 0; j < _w; j++)
                    {
                        T g = dy[((n * cout + o) * _h + i) * _w + j];
                        if (g == T.Zero) continue;
                        grad[b + o] += g;
                        for (int c = 0; c < cin; c++)
                            for (int di = -1; di <= 1; di++)
                            {
                                int ii = i + di;
                                if (ii < 0 || ii >= _h) continue;
                                for (int dj = -1; dj <= 1; dj++)
                                {
                                    int jj = j + dj;
                                    if (jj < 0 || jj >= _w) continue;
                                    int wi = w + ((o * cin + c) * 3 + di + 1) * 3 + dj + 1, xi = ((n * cin + c) * _h + ii) * _w + jj;
                                    grad[wi] += g * x[xi];
                                    dx[xi] += g * p[wi];
                                }
                            }
                    }
        return dx;
    }
}
