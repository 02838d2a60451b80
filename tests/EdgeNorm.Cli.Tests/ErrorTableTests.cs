using System.Reflection;
using System.Text.RegularExpressions;
using EdgeNorm.Tests;
using Xunit;

namespace EdgeNorm.Cli.Tests;

/// <summary>
/// The error table of docs/cli.md is the contract: every row names at least one test (`Class.Method` or
/// `Class.*`), and every named test exists in this assembly as a [Fact] or [Theory].
/// </summary>
public partial class ErrorTableTests
{
    [GeneratedRegex(@"`([A-Za-z0-9_]+)\.([A-Za-z0-9_*]+)`")]
    private static partial Regex TestReference();

    internal static List<(string Case, string Tests)> Rows()
    {
        var lines = File.ReadAllLines(Path.Combine(TestPaths.RepoRoot, "docs", "cli.md"));
        int start = Array.FindIndex(lines, l => l.StartsWith("## Error cases", StringComparison.Ordinal));
        Assert.True(start >= 0, "docs/cli.md has no '## Error cases' section");
        var rows = new List<(string, string)>();
        foreach (var line in lines.Skip(start + 1).SkipWhile(l => !l.StartsWith('|')).TakeWhile(l => l.StartsWith('|')))
        {
            var cells = line.Trim('|').Split('|').Select(c => c.Trim()).ToArray();
            if (cells[0] == "case" || cells[0].StartsWith("---", StringComparison.Ordinal)) continue;
            rows.Add((cells[0], cells[^1]));
        }
        return rows;
    }

    [Fact]
    public void Table_HasRows_EachWithExitCodeAndTest()
    {
        var rows = Rows();
        Assert.True(rows.Count >= 10, $"only {rows.Count} rows parsed from the error table");
        foreach (var (c, tests) in rows)
            Assert.True(TestReference().IsMatch(tests), $"error-table row '{c}' names no test (`Class.Method`)");
    }

    [Fact]
    public void EveryTestNamedByTheTable_Exists()
    {
        var types = typeof(ErrorTableTests).Assembly.GetTypes().Where(t => !t.IsNested).ToDictionary(t => t.Name, StringComparer.Ordinal); // lambdas add nested <>c types
        var missing = new List<string>();
        foreach (var (c, tests) in Rows())
            foreach (Match m in TestReference().Matches(tests))
            {
                string cls = m.Groups[1].Value, method = m.Groups[2].Value;
                var tests2 = types.TryGetValue(cls, out var t)
                    ? t.GetMethods().Where(x => x.GetCustomAttributes<FactAttribute>().Any()).Select(x => x.Name).ToList()
                    : [];
                bool found = method == "*" ? tests2.Count > 0 : tests2.Contains(method);
                if (!found) missing.Add($"{cls}.{method} (row '{c}')");
            }
        Assert.True(missing.Count == 0, "docs/cli.md error table names tests that do not exist: " + string.Join("; ", missing));
    }
}
