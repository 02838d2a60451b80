using EdgeNorm.Model.Ir;

namespace EdgeNorm.Calibration.Float.Kernels;

/// <summary>
/// Output size and padding of a sliding window over the spatial dims (Conv, MaxPool, AveragePool):
/// kernel_shape, strides, dilations, pads (begin…, end…), auto_pad and ceil_mode as ONNX defines them.
/// </summary>
public sealed class WindowGeometry
{
    public int[] Input = [];
    public int[] Kernel = [];
    public int[] Strides = [];
    public int[] Dilations = [];
    public int[] PadBegin = [];
    public int[] PadEnd = [];
    public int[] Output = [];

    public static WindowGeometry From(Node node, int[] input, int[] kernel, bool allowCeil)
    {
        int s = input.Length;
        var g = new WindowGeometry { Input = input, Kernel = kernel };
        g.Strides = Ints(node.GetInts("strides"), s, 1, "strides");
        g.Dilations = Ints(node.GetInts("dilations"), s, 1, "dilations");
        var pads = node.GetInts("pads");
        g.PadBegin = new int[s];
        g.PadEnd = new int[s];
        if (pads is not null)
        {
            if (pads.Length != 2 * s) throw new FloatOpException($"pads has {pads.Length} values, expected {2 * s}");
            for (int i = 0; i < s; i++) { g.PadBegin[i] = (int)pads[i]; g.PadEnd[i] = (int)pads[i + s]; }
        }
        string autoPad = node.GetString("auto_pad") ?? "NOTSET";
        bool ceil = allowCeil && node.GetInt("ceil_mode", 0) != 0;
        g.Output = new int[s];
        for (int i = 0; i < s; i++)
        {
            int ek = (kernel[i] - 1) * g.Dilations[i] + 1;
            switch (autoPad)
            {
                case "SAME_UPPER":
                case "SAME_LOWER":
                {
                    int o = (input[i] + g.Strides[i] - 1) / g.Strides[i];
                    int total = Math.Max(0, (o - 1) * g.Strides[i] + ek - input[i]);
                    g.PadBegin[i] = autoPad == "SAME_UPPER" ? total / 2 : total - total / 2;
                    g.PadEnd[i] = total - g.PadBegin[i];
                    g.Output[i] = o;
                    break;
                }
                case "VALID":
                    g.PadBegin[i] = g.PadEnd[i] = 0;
                    g.Output[i] = (input[i] - ek) / g.Strides[i] + 1;
                    break;
                case "NOTSET":
                case "":
                {
                    long span = (long)input[i] + g.PadBegin[i] + g.PadEnd[i] - ek;
                    long o = ceil ? (long)Math.Ceiling((double)span / g.Strides[i]) + 1 : span / g.Strides[i] + 1;
                    // ceil mode: the last window must start inside the input or the begin padding.
                    if (ceil && (o - 1) * g.Strides[i] >= input[i] + g.PadBegin[i]) o--;
                    g.Output[i] = (int)o;
                    break;
                }
                default:
                    throw new FloatOpException($"unknown auto_pad '{autoPad}'");
            }
            if (g.Output[i] <= 0)
                throw new FloatOpException($"window of size {kernel[i]} (dilation {g.Dilations[i]}) does not fit an input of size {input[i]} with pads {g.PadBegin[i]},{g.PadEnd[i]}");
        }
        return g;
    }

    private static int[] Ints(long[]? v, int n, int fallback, string name)
    {
        if (v is null) return Enumerable.Repeat(fallback, n).ToArray();
        if (v.Length != n) throw new FloatOpException($"{name} has {v.Length} values, expected {n}");
        var r = new int[n];
        for (int i = 0; i < n; i++)
        {
            if (v[i] <= 0) throw new FloatOpException($"{name} must be positive, got {v[i]}");
            r[i] = (int)v[i];
        }
        return r;
    }

    public int OutputSize => ShapeUtil.Product(Output);
    public int KernelSize => ShapeUtil.Product(Kernel);

    /// <summary>
    /// For every (kernel offset, output position) pair, the flat input index within one channel, or −1 in the padding.
    /// Laid out [KernelSize, OutputSize].
    /// </summary>
    public int[] IndexMap()
    {
        int s = Input.Length, kp = KernelSize, op = OutputSize;
        var map = new int[(long)kp * op];
        var inStrides = ShapeUtil.Strides(Input);
        var kIdx = new int[s];
        for (int kk = 0; kk < kp; kk++)
        {
            var oIdx = new int[s];
            for (int o = 0; o < op; o++)
            {
                int flat = 0;
                bool inside = true;
                for (int d = 0; d < s; d++)
                {
                    int c = oIdx[d] * Strides[d] - PadBegin[d] + kIdx[d] * Dilations[d];
                    if (c < 0 || c >= Input[d]) { inside = false; break; }
                    flat += c * inStrides[d];
                }
                map[(long)kk * op + o] = inside ? flat : -1;
                for (int d = s - 1; d >= 0; d--)
                {
                    if (++oIdx[d] < Output[d]) break;
                    oIdx[d] = 0;
                }
            }
            for (int d = s - 1; d >= 0; d--)
            {
                if (++kIdx[d] < Kernel[d]) break;
                kIdx[d] = 0;
            }
        }
        return map;
    }
}
