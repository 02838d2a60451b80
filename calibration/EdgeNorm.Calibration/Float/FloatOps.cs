namespace EdgeNorm.Calibration.Float;

/// <summary>
/// The catalogue of float ops, keyed by (domain, op type). ONNX ops and fused EdgeNorm ops are listed in
/// their own files (FloatOps.Onnx.cs, FloatOps.Fused.cs); no reflection, so it stays AOT-clean.
/// </summary>
public static partial class FloatOps
{
    private static readonly Dictionary<(string Domain, string OpType), IFloatOp> ByKey = Build();

    static partial void AddOnnxOps(List<IFloatOp> ops);
    static partial void AddFusedOps(List<IFloatOp> ops);

    private static Dictionary<(string, string), IFloatOp> Build()
    {
        var ops = new List<IFloatOp>();
        AddOnnxOps(ops);
        AddFusedOps(ops);
        var map = new Dictionary<(string, string), IFloatOp>();
        foreach (var op in ops) map.Add((op.Domain, op.OpType), op);
        return map;
    }

    public static bool TryGet(string domain, string opType, out IFloatOp op) => ByKey.TryGetValue((domain, opType), out op!);

    public static IEnumerable<(string Domain, string OpType)> Supported => ByKey.Keys;
}
