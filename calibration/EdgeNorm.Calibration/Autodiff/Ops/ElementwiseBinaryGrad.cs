using System.Numerics;

namespace EdgeNorm.Calibration.Autodiff.Ops;

/// <summary>
/// ONNX Add, Sub, Mul, Div with numpy broadcasting. ∂a, ∂b are ∂y times the partial derivative, summed over the
/// axes an operand was broadcast along (the index tables make that a scatter-add).
/// </summary>
internal sealed class ElementwiseBinaryGrad<T> : GradOp<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly string _op;
    private readonly int[] _ai, _bi;

    public ElementwiseBinaryGrad(GradNode info)
    {
        _op = info.Node.OpType;
        var y = info.OutShape(0);
        _ai = Broadcast.Offsets(info.InShape(0), y);
        _bi = Broadcast.Offsets(info.InShape(1), y);
    }

    public override T[][] Forward(T[]?[] inputs)
    {
        var a = inputs[0]!;
        var b = inputs[1]!;
        var y = new T[_ai.Length];
        switch (_op)
        {
            case "Add": for (int i = 0; i < y.Length; i++) y[i] = a[_ai[i]] + b[_bi[i]]; break;
            case "Sub": for (int i = 0; i < y.Length; i++) y[i] = a[_ai[i]] - b[_bi[i]]; break;
            case "Mul": for (int i = 0; i < y.Length; i++) y[i] = a[_ai[i]] * b[_bi[i]]; break;
            default: for (int i = 0; i < y.Length; i++) y[i] = a[_ai[i]] / b[_bi[i]]; break;
        }
        return [y];
    }

    public override void Backward(T[]?[] inputs, T[][] outputs, T[]?[] dOutputs, T[]?[] dInputs)
    {
        if (dOutputs[0] is not { } dy) return;
        var a = inputs[0]!;
        var b = inputs[1]!;
        var da = dInputs[0];
        var db = dInputs[1];
        for (int i = 0; i < dy.Length; i++)
        {
            T g = dy[i], av = a[_ai[i]], bv = b[_bi[i]];
            switch (_op)
            {
                case "Add":
                    if (da is not null) da[_ai[i]] += g;
                    if (db is not null) db[_bi[i]] += g;
                    break;
                case "Sub":
                    if (da is not null) da[_ai[i]] += g;
                    if (db is not null) db[_bi[i]] -= g;
                    break;
                case "Mul":
                    if (da is not null) da[_ai[i]] += g * bv;
                    if (db is not null) db[_bi[i]] += g * av;
                    break;
                default:
                    if (da is not null) da[_ai[i]] += g / bv;
                    if (db is not null) db[_bi[i]] -= g * av / (bv * bv);
                    break;
            }
        }
    }
}
