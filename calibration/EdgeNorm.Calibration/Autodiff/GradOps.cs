using System.Numerics;
using EdgeNorm.Calibration.Autodiff.Ops;
using EdgeNorm.Model.Ir;

namespace EdgeNorm.Calibration.Autodiff;

/// <summary>
/// The catalogue of backward rules: exactly the ops calibration differentiates through (the fused ViT/PRepBN graphs
/// and the ONNX ops that survive fusion). No reflection, so it stays AOT-clean.
/// </summary>
public static class GradOps
{
    /// <summary>The rule for a node, or null when the op has none.</summary>
    public static GradOp<T>? Create<T>(GradNode info) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var node = info.Node;
        if (node.Domain == Node.EdgeNormDomain)
            return node.OpType switch
            {
                "Linear" => new LinearGrad<T>(info),
                "PatchEmbed" => new PatchEmbedGrad<T>(info),
                "Attention" => new AttentionGrad<T>(info),
                "Gelu" => new GeluGrad<T>(info),
                "LayerNorm" or "L1Norm" => new RowNormGrad<T>(info),
                "RepBN" or "BatchNorm" => new ChannelAffineGrad<T>(info),
                _ => null,
            };
        if (node.Domain.Length > 0) return null;
        if (IndexMapGrad<T>.OpTypes.Contains(node.OpType)) return new IndexMapGrad<T>(info);
        return node.OpType switch
        {
            "Add" or "Sub" or "Mul" or "Div" => new ElementwiseBinaryGrad<T>(info),
            "MatMul" => new MatMulGrad<T>(info),
            "Softmax" => new SoftmaxGrad<T>(info),
            _ => null,
        };
    }

    /// <summary>Ops whose integer outputs depend only on the shape of their input (safe to fix when the tape is built).</summary>
    internal static bool IsShapeOnly(Node node) => node.Domain.Length == 0 && node.OpType is "Shape" or "Size";
}
