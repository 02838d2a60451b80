namespace EdgeNorm.Model.Ir;

/// <summary>Element types, numbered as ONNX's TensorProto.DataType so import needs no mapping table.</summary>
public enum DataType
{
    Undefined = 0,
    Float32 = 1,
    UInt8 = 2,
    Int8 = 3,
    UInt16 = 4,
    Int16 = 5,
    Int32 = 6,
    Int64 = 7,
    Bool = 9,
    Float64 = 11,
}

public static class DataTypeExtensions
{
    /// <summary>Whether the float IR stores this type in <see cref="Tensor.Longs"/> (every integer and bool type).</summary>
    public static bool IsInteger(this DataType t) => t is DataType.UInt8 or DataType.Int8 or DataType.UInt16
        or DataType.Int16 or DataType.Int32 or DataType.Int64 or DataType.Bool;

    public static string Name(this DataType t) => t switch
    {
        DataType.Float32 => "float32",
        DataType.UInt8 => "uint8",
        DataType.Int8 => "int8",
        DataType.UInt16 => "uint16",
        DataType.Int16 => "int16",
        DataType.Int32 => "int32",
        DataType.Int64 => "int64",
        DataType.Bool => "bool",
        DataType.Float64 => "float64",
        _ => "undefined",
    };
}
