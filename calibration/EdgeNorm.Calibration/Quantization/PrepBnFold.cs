namespace EdgeNorm.Calibration.Quantization;

/// <summary>
/// RepBN/PRepBN as a per-channel affine <c>a_c·x_c + b_c</c> folded into a Linear's float weights
/// (integer-ops.md §6.2, test vector 10), in float64. W is row-major [N, K] (output channel n, input k).
/// </summary>
public static class PrepBnFold
{
    /// <summary>
    /// Into the following Linear, <c>Linear(RepBN(x))</c>: the affine is on the K inputs, <c>W' = W·diag(a)</c>,
    /// <c>bias' = bias + W·b</c>. <paramref name="bias"/> may be null (0).
    /// </summary>
    public static (double[] W, double[] Bias) IntoFollowing(ReadOnlySpan<float> w, int n, int k, ReadOnlySpan<float> bias, IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        Check(w.Length, n, k, bias.Length, a.Count, b.Count, k);
        var wf = new double[n * k];
        var bf = new double[n];
        for (int r = 0; r < n; r++)
        {
            double s = bias.IsEmpty ? 0 : bias[r];
            for (int i = 0; i < k; i++)
            {
                double wi = w[r * k + i];
                wf[r * k + i] = wi * a[i];
                s += wi * b[i];
            }
            bf[r] = s;
        }
        return (wf, bf);
    }

    /// <summary>
    /// Into the preceding Linear, <c>RepBN(Linear(x))</c>: the affine is on the N outputs, <c>W'_c = a_c·W_c</c>,
    /// <c>bias'_c = a_c·bias_c + b_c</c> — including the <c>a_c·bias_c</c> term (with a = γ/σ + η, SLAB's
    /// <c>PatchEmbed.merge_bn</c> drops its η·bias part).
    /// </summary>
    public static (double[] W, double[] Bias) IntoPreceding(ReadOnlySpan<float> w, int n, int k, ReadOnlySpan<float> bias, IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        Check(w.Length, n, k, bias.Length, a.Count, b.Count, n);
        var wf = new double[n * k];
        var bf = new double[n];
        for (int r = 0; r < n; r++)
        {
            for (int i = 0; i < k; i++) wf[r * k + i] = a[r] * w[r * k + i];
            bf[r] = a[r] * (bias.IsEmpty ? 0 : bias[r]) + b[r];
        }
        return (wf, bf);
    }

    private static void Check(int w, int n, int k, int bias, int a, int b, int channels)
    {
        if ((long)n * k != w) throw new ArgumentException($"W has {w} elements, expected {n}·{k}");
        if (bias != 0 && bias != n) throw new ArgumentException($"bias has {bias} entries for {n} outputs");
        if (a != channels || b != channels) throw new ArgumentException($"the affine has {a}/{b} channels, expected {channels}");
    }
}
