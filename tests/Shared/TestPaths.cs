using System.Reflection;

namespace EdgeNorm.Tests;

/// <summary>Where the repository's committed test data lives, independent of the build output folder.</summary>
internal static class TestPaths
{
    public static string RepoRoot { get; } = typeof(TestPaths).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == "RepoRoot").Value!;

    public static string Fixtures => Path.Combine(RepoRoot, "tests", "fixtures");
    public static string Fixture(params string[] parts) => Path.Combine([Fixtures, .. parts]);
}
