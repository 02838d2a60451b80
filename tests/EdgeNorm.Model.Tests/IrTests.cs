using EdgeNorm.Model.Ir;
using Xunit;

namespace EdgeNorm.Model.Tests;

public class IrTests
{
    [Fact]
    public void Tensor_RejectsDataOfWrongLength()
    {
        Assert.Throws<ArgumentException>(() => Tensor.FromFloats([2, 3], new float[5]));
        Assert.Equal(6, Tensor.FromFloats([2, 3], new float[6]).Length);
    }
}
