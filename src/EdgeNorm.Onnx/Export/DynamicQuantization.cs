using EdgeNorm.Onnx.Proto;
using EdgeNorm.Onnx.Writer;

namespace EdgeNorm.Onnx.Export;

/// <summary>
/// ONNX Runtime's "quantize_dynamic" baseline, built without Python: every MatMul whose weight is a constant 2-D
/// float initializer becomes com.microsoft DynamicQuantizeMatMul with int8 per-column weights (symmetric, zero point
/// 0); activations are quantised at run time by ORT. Everything else is left as it is.
/// </summary>
public static class DynamicQuantization
{
    /// <summary>Returns a rewritten copy of <paramref name="model"/> and the number of MatMuls replaced.</summary>
    public static (ModelProto Model, int Replaced) Apply(ModelProto model)
    {
        var m = model.Clone();
        var g = m.Graph;
        var inits = g.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var uses = g.Node.SelectMany(n => n.Input).GroupBy(i => i).ToDictionary(x => x.Key, x => x.Count(), StringComparer.Ordinal);
        int replaced = 0;
        foreach (var n in g.Node.Where(n => n.OpType == "MatMul" && n.Domain.Length == 0).ToList())
        {
            if (!inits.TryGetValue(n.Input[1], out var wt) || wt.Dims.Count != 2 || wt.DataType != OnnxGraphWriter.Float) continue;
            var w = OnnxTensors.FromProto(wt, null).F;
            int k = (int)wt.Dims[0], cols = (int)wt.Dims[1];
            var q = new sbyte[w.Length];
            var scales = new float[cols];
            for (int c = 0; c < cols; c++)
            {
                float max = 0;
                for (int r = 0; r < k; r++) max = Math.Max(max, Math.Abs(w[r * cols + c]));
                scales[c] = max > 0 ? max / 127f : 1f;
                for (int r = 0; r < k; r++) q[r * cols + c] = (sbyte)Math.Clamp(MathF.Round(w[r * cols + c] / scales[c]), -127, 127);
            }
            string stem = n.Input[1] + ".dq";
            var tmp = new OnnxGraphWriter("tmp");
            tmp.SBytes(stem, q, k, cols);
            tmp.Floats(stem + ".scale", scales, cols);
            tmp.SBytes(stem + ".zero_point", new sbyte[cols], cols);
            g.Initializer.Add(tmp.Graph.Initializer);
            string a = n.Input[0];
            n.Input.Clear();
            n.Input.AddRange([a, stem, stem + ".scale", stem + ".zero_point"]);
            n.OpType = "DynamicQuantizeMatMul";
            n.Domain = "com.microsoft";
            if (--uses[wt.Name] == 0) g.Initializer.Remove(wt);
            replaced++;
        }
        if (replaced > 0 && !m.OpsetImport.Any(o => o.Domain == "com.microsoft"))
            m.OpsetImport.Add(new OperatorSetIdProto { Domain = "com.microsoft", Version = 1 });
        return (m, replaced);
    }
}
