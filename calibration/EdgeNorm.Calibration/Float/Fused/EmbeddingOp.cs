using EdgeNorm.Model.Ir;
using static EdgeNorm.Calibration.Float.Fused.FusedKernel;

namespace EdgeNorm.Calibration.Float.Fused;

/// <summary>
/// edgenorm.Embedding(ids[…] integer, table[V, D]) → Y[…, D], Y[…] = table[ids[…]]. Negative ids count
/// from the end (as ONNX Gather); ids outside [−V, V) are an error.
/// </summary>
public sealed class EmbeddingOp : IFloatOp
{
    public string Domain => Node.EdgeNormDomain;
    public string OpType => "Embedding";

    public Tensor[] Forward(OpContext context, Node node, Tensor?[] inputs)
    {
        var ids = Input(node, inputs, 0, "ids");
        var table = Input(node, inputs, 1, "table");
        if (table.Rank != 2) throw Error(node, $"table must be [V,D], got {ShapeText(table.Shape)}");
        var idx = ids.Longs ?? throw Error(node, $"ids must be integers, got {ids.DataType.Name()}");
        int v = table.Shape[0], d = table.Shape[1];
        var tf = Floats(node, table, "table");
        var y = new float[idx.Length * (long)d];
        for (int i = 0; i < idx.Length; i++)
        {
            long id = idx[i] < 0 ? idx[i] + v : idx[i];
            if (id < 0 || id >= v) throw Error(node, $"id {idx[i]} at position {i} is outside the table of {v} rows");
            Array.Copy(tf, id * d, y, (long)i * d, d);
        }
        return [Tensor.FromFloats([.. ids.Shape, d], y)];
    }
}
