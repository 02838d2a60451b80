using EdgeNorm.Model.Ir;

namespace EdgeNorm.Onnx.Fusion;

/// <summary>
/// Output ranks of the ops torch exports, for when the loader gives no shapes for intermediate tensors: the
/// matchers need ranks (a Shape → Slice(0, −1) chain, a ReduceMean over "the last axis") more than sizes.
/// Unknown ops give null.
/// </summary>
internal static class RankInference
{
    private static readonly HashSet<string> SameRank = new(StringComparer.Ordinal)
    {
        "Abs", "Neg", "Exp", "Log", "Sqrt", "Reciprocal", "Erf", "Tanh", "Sigmoid", "Relu", "Softmax", "LogSoftmax",
        "Cast", "Identity", "Not", "Dropout", "LayerNormalization", "BatchNormalization", "Transpose", "Slice", "Conv",
        "Concat", "Split", "Clip", "Floor", "Ceil", "Round", "Sign", "CumSum",
        // fused ops that keep the rank
        "Linear", "Gelu", "LayerNorm", "L1Norm", "RepBN", "BatchNorm",
    };

    private static readonly HashSet<string> Broadcasting = new(StringComparer.Ordinal)
    {
        "Add", "Sub", "Mul", "Div", "Pow", "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or",
        "Where", "Max", "Min", "Mod",
    };

    public static int?[]? Infer(GraphView g, Node n)
    {
        int? R(int i) => i < n.Inputs.Count && n.Inputs[i].Length > 0 ? g.Rank(n.Inputs[i]) : null;
        int?[] All(int? r) => Enumerable.Repeat(r, n.Outputs.Count).ToArray();
        if (n.Domain == Node.EdgeNormDomain)
        {
            return n.OpType switch
            {
                "Attention" or "PatchEmbed" => [3],
                "Embedding" => [R(0) + 1],
                _ when SameRank.Contains(n.OpType) => [R(0)],
                _ => null,
            };
        }
        if (n.Domain.Length != 0) return null;
        if (SameRank.Contains(n.OpType)) return All(R(0));
        if (Broadcasting.Contains(n.OpType))
        {
            int? max = 0;
            for (int i = 0; i < n.Inputs.Count; i++) max = R(i) is int r && max is int m ? Math.Max(r, m) : null;
            return [max];
        }
        switch (n.OpType)
        {
            case "Constant":
                return g.TryConstant(n.Outputs[0], out var c) ? [c.Rank] : null;
            case "Shape":
            case "Range":
                return [1];
            case "Size":
                return [0];
            case "MatMul":
            {
                if (R(0) is not int a || R(1) is not int b) return null;
                if (a == 1 && b == 1) return [0];
                if (a == 1) return [b - 1];
                if (b == 1) return [a - 1];
                return [Math.Max(a, b)];
            }
            case "Gemm":
            case "Flatten":
                return [2];
            case "Gather":
                return [R(0) + R(1) - 1];
            case "Unsqueeze":
                return [R(0) + ShapeVector.UnsqueezeAxes(g, n)?.Length];
            case "Squeeze":
            {
                var axes = ShapeVector.SqueezeAxes(g, n);
                return axes is null ? null : [R(0) - axes.Length];
            }
            case "ReduceMean":
            case "ReduceSum":
            case "ReduceMax":
            case "ReduceMin":
            {
                if (n.GetInt("keepdims", 1) != 0) return [R(0)];
                long[]? axes = n.GetInts("axes");
                if (axes is null && n.Inputs.Count > 1 && g.TryInts(n.Inputs[1], out var ai)) axes = ai;
                return axes is null ? [0] : [R(0) - axes.Length];
            }
            case "Reshape":
            case "ConstantOfShape":
            {
                int i = n.OpType == "Reshape" ? 1 : 0;
                if (n.Inputs.Count <= i) return null; // malformed node (fuzzing): the op check reports it
                if (g.TryConstant(n.Inputs[i], out var t)) return [(int)t.Length];
                return [ShapeVector.Resolve(g, n.Inputs[i])?.Length];
            }
            case "Expand":
            {
                if (n.Inputs.Count < 2) return null;
                int? len = g.TryConstant(n.Inputs[1], out var t) ? (int)t.Length : ShapeVector.Resolve(g, n.Inputs[1])?.Length;
                return len is int l && R(0) is int r0 ? [Math.Max(l, r0)] : null;
            }
            default:
                return null;
        }
    }
}
