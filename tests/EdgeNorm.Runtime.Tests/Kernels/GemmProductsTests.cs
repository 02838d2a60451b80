using EdgeNorm.Runtime.Kernels;
using EdgeNorm.Runtime.Kernels.Gemm;
using EdgeNorm.Runtime.Platform;
using Xunit;

namespace EdgeNorm.Runtime.Tests.GemmPaths;

/// <summary>
/// The raw int32 products attention's Q·Kᵀ runs on the GEMM micro-kernels (<see cref="KernelSet.Products"/>: <see cref="PanelPacker"/> +
/// <see cref="GemmKernel.Products"/>): every usable path equals the plain dot Σ_k a[r, k]·b[j, k] for rows and packed
/// rows read with a stride, every tail of rows, packed rows and depth, and extreme operands (−128 everywhere: the
/// u8 paths' −128·Σb start value at its largest).
/// </summary>
public class GemmProductsTests
{
    private static readonly int[] Rows = [1, 2, 3, 4, 5, 6, 7, 8, 13];
    private static readonly int[] Keys = [1, 2, 15, 16, 17, 33, 197];
    private static readonly int[] Depths = [1, 3, 4, 5, 8, 12, 16, 17, 64, 65];

    [Theory]
    [MemberData(nameof(GemmKernelTests.Paths), MemberType = typeof(GemmKernelTests))]
    public void Products_EqualThePlainDot(string path)
    {
        using var kernels = KernelSet.Create(KernelPaths.Parse(path));
        var rng = new Random(40);
        foreach (int m in Rows)
            foreach (int n in Keys)
                foreach (int k in Depths)
                    for (int kind = 0; kind < 3; kind++)
                    {
                        // Operands inside wider rows (stride 3k + 1), as the op reads q and k from the packed qkv.
                        int stride = 3 * k + 1;
                        sbyte Value() => kind switch { 0 => (sbyte)rng.Next(-128, 128), 1 => sbyte.MinValue, _ => sbyte.MaxValue };
                        var a = Enumerable.Range(0, m * stride).Select(_ => Value()).ToArray();
                        var b = Enumerable.Range(0, n * stride).Select(_ => Value()).ToArray();
                        var expected = new int[m * n];
                        for (int r = 0; r < m; r++)
                            for (int j = 0; j < n; j++)
                                for (int t = 0; t < k; t++) expected[r * n + j] += a[r * stride + 1 + t] * b[j * stride + 1 + t];
                        var actual = Enumerable.Repeat(7, m * n + 1).ToArray(); // one past the end must stay
                        kernels.Products(a.AsSpan(1), stride, m, b.AsSpan(1), stride, n, k, actual);
                        SpanAssert.Equal(expected, actual.AsSpan(0, m * n), $"{path} M={m} N={n} K={k} kind={kind}");
                        Assert.Equal(7, actual[^1]);
                    }
    }
}
