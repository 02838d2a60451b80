using System.Globalization;
using EdgeNorm.Model.Ir;

namespace EdgeNorm.Onnx.Passes;

/// <summary>
/// A value known statically as far as possible: a constant, or Coef × a product of symbols (the batch "N", a
/// named dim, or an unknown "?k"). Used for dims and for the elements of small integer shape tensors.
/// </summary>
internal readonly record struct SymDim(long Coef, string? Sym)
{
    public bool IsConst => Sym is null;
    public static SymDim Const(long v) => new(v, null);

    /// <summary>Symbols in a product are kept sorted and joined by '*', so equal products compare equal.</summary>
    public static SymDim Symbol(string s) => Parse(s);

    public static SymDim FromDim(Dim d) => d.IsFixed ? Const(d.Size) : Parse(d.Symbol ?? "?");

    public Dim ToDim() => IsConst
        ? (Coef >= 0 ? Dim.Of(Coef) : Dim.Sym("?"))
        : Dim.Sym(Coef == 1 ? Sym! : Coef.ToString(CultureInfo.InvariantCulture) + "*" + Sym);

    private static SymDim Parse(string s)
    {
        long coef = 1;
        var factors = new List<string>();
        foreach (var part in s.Split('*'))
        {
            if (long.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out long v)) coef *= v;
            else factors.Add(part);
        }
        if (factors.Count == 0) return Const(coef);
        factors.Sort(StringComparer.Ordinal);
        return new SymDim(coef, string.Join("*", factors));
    }

    public static SymDim Mul(SymDim a, SymDim b)
    {
        if (a.IsConst && b.IsConst) return Const(unchecked(a.Coef * b.Coef));
        if (a.IsConst && a.Coef == 0 || b.IsConst && b.Coef == 0) return Const(0);
        var f = new List<string>();
        if (a.Sym is not null) f.AddRange(a.Sym.Split('*'));
        if (b.Sym is not null) f.AddRange(b.Sym.Split('*'));
        f.Sort(StringComparer.Ordinal);
        return new SymDim(unchecked(a.Coef * b.Coef), string.Join("*", f));
    }

    /// <summary>Exact quotient when it can be expressed (integer division truncating for constants), else null.</summary>
    public static SymDim? Div(SymDim a, SymDim b)
    {
        if (b.IsConst)
        {
            if (b.Coef == 0) return null;
            if (a.IsConst) return Const(a.Coef / b.Coef);
            if (a.Coef % b.Coef == 0) return new SymDim(a.Coef / b.Coef, a.Sym);
            return null;
        }
        if (a.IsConst || a.Sym is null || b.Coef == 0 || a.Coef % b.Coef != 0) return null;
        var fa = a.Sym.Split('*').ToList();
        foreach (var x in b.Sym!.Split('*'))
            if (!fa.Remove(x)) return null;
        long c = a.Coef / b.Coef;
        return fa.Count == 0 ? Const(c) : new SymDim(c, string.Join("*", fa));
    }

    public override string ToString() => ToDim().ToString();
}
