using Xunit;

namespace EdgeNorm.Runtime.Tests;

/// <summary>Element-wise equality that names the first differing index and both values.</summary>
internal static class SpanAssert
{
    public static void Equal<T>(ReadOnlySpan<T> expected, ReadOnlySpan<T> actual, string what = "")
        where T : IEquatable<T>
    {
        if (expected.Length != actual.Length)
            Assert.Fail($"{what}: length {actual.Length}, expected {expected.Length}");
        for (int i = 0; i < expected.Length; i++)
            if (!expected[i].Equals(actual[i]))
                Assert.Fail($"{what}: first difference at index {i}: expected {expected[i]}, actual {actual[i]}");
    }

    public static void Equal<T>(T[] expected, T[] actual, string what = "") where T : IEquatable<T> =>
        Equal((ReadOnlySpan<T>)expected, (ReadOnlySpan<T>)actual, what);

    /// <summary>Fails with the first case where <paramref name="ok"/> is false.</summary>
    public static void All<T>(IEnumerable<T> cases, Func<T, bool> ok, Func<T, string> describe)
    {
        foreach (var c in cases)
            if (!ok(c)) Assert.Fail(describe(c));
    }
}
