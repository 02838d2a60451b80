using EdgeNorm.Runtime.Execution;
using EdgeNorm.Runtime.Kernels.Reference;
using EdgeNorm.Runtime.Numerics;

namespace EdgeNorm.Runtime.Ops;

/// <summary>
/// QGelu: int8 → integer GELU (docs/numerics.md §7.1 i-GELU, kind "igelu"; §7.2 ShiftGELU, kind "shiftgelu") → int32
/// → one per-tensor requantisation (attribute multiplier) to int8. The <c>--gelu lut</c> form is <c>QLookup</c>.
/// </summary>
internal sealed class GeluOp : IntegerOp
{
    /// <summary>Elements per pass through the int32 scratch.</summary>
    private const int Chunk = 4096;

    private readonly bool _shift;
    private readonly IntGeluParameters _igelu;
    private readonly ShiftGeluParameters _shiftGelu;
    private readonly DyadicMultiplier _m;

    public GeluOp(Constants c)
    {
        _m = c.Multiplier("multiplier");
        var p = c.Ints("params");
        try
        {
            switch (c.String("kind"))
            {
                case "igelu" when p.Count == 4:
                    _igelu = new IntGeluParameters(p[0], p[1], checked((int)p[2]), p[3]);
                    break;
                case "shiftgelu" when p.Count == 3:
                    _shift = true;
                    _shiftGelu = new ShiftGeluParameters(new ShiftExpParameters(checked((int)p[0]), checked((int)p[1])), checked((int)p[2]));
                    break;
                default:
                    throw new UnsupportedModelException(
                        $"node '{c.Node.Name}': QGelu kind '{c.String("kind")}' with {p.Count} params is not supported (igelu [Bq, Cq, n, One], shiftgelu [X0, N, bits])");
            }
        }
        catch (ArgumentOutOfRangeException ex)
        {
            throw new UnsupportedModelException($"node '{c.Node.Name}': invalid GELU parameters: {ex.Message}");
        }
    }

    public override long ScratchBytes(int batch) => 4L * Chunk;

    public override void Execute(in OpContext ctx)
    {
        var x = ctx.Value<sbyte>(Inputs[0]);
        var y = ctx.Value<sbyte>(Outputs[0]);
        for (int start = 0; start < x.Length; start += Chunk)
        {
            int n = Math.Min(Chunk, x.Length - start);
            var g = ctx.Scratch<int>(0, n);
            if (_shift) GeluReference.Shift(x.Slice(start, n), g, _shiftGelu);
            else GeluReference.IBert(x.Slice(start, n), g, _igelu);
            RequantizeReference.PerTensor(g, y.Slice(start, n), _m);
        }
    }
}
