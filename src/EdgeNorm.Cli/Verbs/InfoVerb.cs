using System.CommandLine;
using System.Runtime.InteropServices;
using EdgeNorm.Runtime.Platform;

namespace EdgeNorm.Cli.Verbs;

/// <summary>`edgenorm info`: what the CPU has (CPUID / kernel) and which kernel paths this binary can use.</summary>
internal static class InfoVerb
{
    public static Command Create(TextWriter o)
    {
        var json = new Option<bool>("--json") { Description = "one JSON object on stdout" };
        var cmd = new Command("info", "CPU features detected and the kernel paths this binary can use.") { json };
        cmd.SetAction(r =>
        {
            var cpu = CpuFeatures.Current;
            var usable = BinaryIsa.Usable.ToList();
            // The path a new session takes: EDGENORM_KERNELS if set (an unusable one is an error, exit 2), else the best.
            string isa = KernelPaths.Name(KernelPaths.Select());
            // paths never run on hardware during development are chosen only after their start-up self-test passes
            var selfTested = Enum.GetValues<KernelPath>().Where(p => KernelPaths.NeedsSelfTest(p) && KernelPaths.IsUsable(p))
                .Select(p => (Name: KernelPaths.Name(p), Passed: KernelPaths.PassesSelfTest(p))).ToList();
            if (r.GetValue(json))
            {
                using var w = JsonOut.Begin(o);
                w.WriteString("isa", isa);
                w.WriteString("arch", cpu.Architecture);
                w.WriteString("cpu", cpu.ModelName);
                w.WriteString("features_source", cpu.Source);
                JsonOut.Strings(w, "features", cpu.Features.Order(StringComparer.Ordinal));
                JsonOut.Strings(w, "binary_paths", usable.Prepend("scalar"));
                w.W.WriteStartObject("self_test");
                foreach (var (name, passed) in selfTested) w.WriteBoolean(name, passed);
                w.W.WriteEndObject();
                w.WriteBoolean("native_aot", !System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeSupported);
                w.WriteString("runtime", RuntimeInformation.FrameworkDescription);
                w.WriteString("edgenorm_version", Versions.EdgeNorm);
                w.WriteString("format_version", Versions.Format);
            }
            else
            {
                o.WriteLine($"edgenorm {Versions.EdgeNorm} (model format {Versions.Format}), {RuntimeInformation.FrameworkDescription}, " +
                            (System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeSupported ? "JIT" : "NativeAOT"));
                o.WriteLine($"cpu:           {cpu.Architecture}, {(cpu.ModelName.Length > 0 ? cpu.ModelName : "unknown model")}");
                o.WriteLine($"features:      {string.Join(' ', cpu.Features.Order(StringComparer.Ordinal))} (from {cpu.Source})");
                o.WriteLine($"binary paths:  {string.Join(' ', usable.Prepend("scalar"))}");
                o.WriteLine($"isa:           {isa}");
                if (selfTested.Count > 0)
                    o.WriteLine($"self-test:     {string.Join(", ", selfTested.Select(t => $"{t.Name} {(t.Passed ? "passed" : "FAILED: not chosen by default")}"))}");
                var missed = MissedByBinary(cpu, usable).ToList();
                if (missed.Count > 0)
                    o.WriteLine($"note:          the CPU has {string.Join(", ", missed)} but this binary cannot use it; publish with a matching profile (publish-profiles/)");
            }
            return CliApp.Ok;
        });
        return cmd;
    }

    private static IEnumerable<string> MissedByBinary(CpuFeatures cpu, List<string> usable)
    {
        if (cpu.Has("avx2") && !usable.Contains("avx2")) yield return "avx2";
        if (cpu.Has("avx_vnni") && !usable.Contains("avx-vnni")) yield return "avx-vnni";
        if (cpu.Has("avx512bw") && !usable.Contains("avx512bw")) yield return "avx512bw";
        if (cpu.Has("asimddp") && !usable.Contains("neon-dotprod")) yield return "dotprod";
    }
}
