using System.Globalization;

namespace EdgeNorm.Bench.Compare;

/// <summary>Tiny "--name value" argument reader (the comparison tool is not a user-facing CLI).</summary>
internal static class Args
{
    public static bool Has(string[] args, string name) => Array.IndexOf(args, name) >= 0;

    public static string? Get(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    public static int Int(string[] args, string name, int fallback) =>
        Get(args, name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
}
