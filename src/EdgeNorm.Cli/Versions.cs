using System.Reflection;

namespace EdgeNorm.Cli;

internal static class Versions
{
    public static string EdgeNorm { get; } =
        typeof(Versions).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    /// <summary>The .edgn format version this binary writes (refuses other major versions when reading).</summary>
    public static string Format => global::EdgeNorm.Model.Format.EdgnFormat.CurrentVersion.ToString();
}
