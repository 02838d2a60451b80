namespace EdgeNorm.Model.Ir;

/// <summary>A dimension of a declared shape: a fixed size, or a symbol (e.g. the dynamic batch "N").</summary>
public readonly record struct Dim(long Size, string? Symbol)
{
    public static Dim Of(long size) => new(size, null);
    public static Dim Sym(string symbol) => new(-1, symbol);
    public bool IsFixed => Symbol is null && Size >= 0;
    public override string ToString() => IsFixed ? Size.ToString(System.Globalization.CultureInfo.InvariantCulture) : (Symbol ?? "?");
}

/// <summary>A graph input or output: name, element type and declared shape.</summary>
public sealed record ValueInfo(string Name, DataType DataType, Dim[] Shape)
{
    public override string ToString() => $"{Name}: {DataType.Name()}[{string.Join(",", Shape)}]";
}
