using System.Globalization;
using System.Text;

namespace EdgeNorm.Bench.Compare;

/// <summary>The end-to-end table of docs/performance.md: latency per engine, ratios against the targets, per-op time.</summary>
internal static class Markdown
{
    private const double TargetVsFp32 = 0.40, TargetVsInt8 = 0.75;

    public static string Table(string model, List<(int Threads, string Engine, double P50, double P90, double Cpu, double Rss, bool Applied)> rows,
        List<(string Op, double Ms, double Share)> profile, int rounds, int iterations)
    {
        var c = CultureInfo.InvariantCulture;
        var md = new StringBuilder();
        md.AppendLine(c, $"Model **{model}**, batch 1, {rounds} rounds × {iterations} timed runs per engine, engines interleaved, each run in its own process.");
        md.AppendLine();
        md.AppendLine("| threads | engine | p50 ms | p90 ms | inferences/s | CPU ms / inference | peak RSS MB | EdgeNorm p50 ÷ this | EdgeNorm CPU ÷ this |");
        md.AppendLine("|---:|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in rows)
        {
            var ours = rows.First(x => x.Threads == r.Threads && x.Engine == "edgenorm-int8");
            string note = r.Applied ? "" : " (threads not applied: runtime has no thread option yet)";
            md.AppendLine(c, $"| {r.Threads} | {r.Engine}{note} | {r.P50:F2} | {r.P90:F2} | {1000 / r.P50:F1} | {r.Cpu:F1} | {r.Rss:F0} | {ours.P50 / r.P50:F2}× | {ours.Cpu / r.Cpu:F2}× |");
        }
        md.AppendLine();
        foreach (var t in rows.Select(r => r.Threads).Distinct())
        {
            double P(string e) => rows.First(x => x.Threads == t && x.Engine == e).P50;
            double fp32 = P("edgenorm-int8") / P("ort-fp32");
            double int8 = P("edgenorm-int8") / Math.Min(P("ort-int8-dynamic"), P("ort-int8-qdq"));
            md.AppendLine(c, $"- threads {t}, p50 latency: vs ORT fp32 **{fp32:F2}×** (target ≤ {TargetVsFp32:F2}×: {Verdict(fp32, TargetVsFp32)}); " +
                             $"vs the faster ORT int8 **{int8:F2}×** (target ≤ {TargetVsInt8:F2}×: {Verdict(int8, TargetVsInt8)}).");
            if (t == 1)
            {
                double C(string e) => rows.First(x => x.Threads == t && x.Engine == e).Cpu;
                md.AppendLine(c, $"- threads 1, CPU time per inference (less sensitive to other load on the machine): vs ORT fp32 **{C("edgenorm-int8") / C("ort-fp32"):F2}×**, " +
                                 $"vs the faster ORT int8 **{C("edgenorm-int8") / Math.Min(C("ort-int8-dynamic"), C("ort-int8-qdq")):F2}×**.");
            }
        }
        if (profile.Count > 0)
        {
            md.AppendLine();
            md.AppendLine("EdgeNorm time per op type (one thread, the session's per-op profile):");
            md.AppendLine();
            md.AppendLine("| op | ms / inference | share |");
            md.AppendLine("|---|---:|---:|");
            foreach (var (op, ms, share) in profile) md.AppendLine(c, $"| {op} | {ms:F2} | {100 * share:F0} % |");
        }
        return md.ToString();
    }

    private static string Verdict(double ratio, double target) =>
        ratio <= target ? "met" : string.Create(CultureInfo.InvariantCulture, $"missed by {ratio / target:F2}×");
}
