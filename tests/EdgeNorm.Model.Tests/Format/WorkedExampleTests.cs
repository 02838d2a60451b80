using System.Text;
using EdgeNorm.Model.Format;
using EdgeNorm.Model.Ir;
using EdgeNorm.Tests;
using Xunit;

namespace EdgeNorm.Model.Tests.Format;

/// <summary>
/// The worked example of docs/format.md §9 is this model; the dump there must be what the writer produces,
/// byte for byte. When the format changes, regenerate: the failure message prints the new dump.
/// </summary>
public sealed class WorkedExampleTests
{
    public static EdgnBuilder Tiny() => new EdgnBuilder()
        .AddInput("x", DataType.Int8, [-1, 3], QuantParams.PerTensor(0.5f, 0))
        .AddPackedWeights("w", [1, 2, 3, 4, 5, 6], 2, 3, QuantParams.PerTensor(0.25f, 0))
        .AddNode("fc", "MatMulInt", ["x", "w"], ["y"], [new("shift", 0L)])
        .AddOutput("y", DataType.Int32, [-1, 2])
        .SetMetadata("edgenorm.version", "0.1.0");

    /// <summary>Exactly what <c>hexdump -C</c> prints: offset, 16 bytes, ASCII; runs of identical lines collapsed to "*".</summary>
    public static string HexDump(byte[] bytes)
    {
        var sb = new StringBuilder();
        string? previous = null;
        bool starred = false;
        for (int off = 0; off < bytes.Length; off += 16)
        {
            var row = bytes.AsSpan(off, Math.Min(16, bytes.Length - off));
            var hex = new StringBuilder();
            for (int i = 0; i < 16; i++)
            {
                hex.Append(i < row.Length ? $"{row[i]:x2} " : "   ");
                if (i == 7) hex.Append(' ');
            }
            string ascii = new(row.ToArray().Select(b => b is >= 0x20 and < 0x7f ? (char)b : '.').ToArray());
            string body = hex + " |" + ascii + "|";
            if (body == previous)
            {
                if (!starred) sb.Append("*\n");
                starred = true;
                continue;
            }
            starred = false;
            previous = body;
            sb.Append($"{off:x8}  {body}\n");
        }
        sb.Append($"{bytes.Length:x8}\n");
        return sb.ToString();
    }

    [Fact]
    public void TinyModel_MatchesTheDumpInDocsFormatMd()
    {
        byte[] image = Tiny().ToArray();
        using var m = EdgnModel.Load(image);
        Assert.True(m.VerifyChecksums().IsValid);
        string dump = HexDump(image);
        string doc = File.ReadAllText(Path.Combine(TestPaths.RepoRoot, "docs", "format.md")).ReplaceLineEndings("\n");
        Assert.True(doc.Contains(dump, StringComparison.Ordinal),
            "docs/format.md §9 does not contain the writer's current dump of the tiny model; the dump is:\n" + dump
            + "\nheader JSON:\n" + m.HeaderJson);
    }
}
