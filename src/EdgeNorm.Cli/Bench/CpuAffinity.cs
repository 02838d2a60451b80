using System.Globalization;
using System.Runtime.InteropServices;
using EdgeNorm.Model;

namespace EdgeNorm.Cli.Bench;

/// <summary>
/// `bench --affinity CPU_LIST`: pins the process's threads to CPUs with sched_setaffinity (Linux; LibraryImport, so
/// AOT-clean). Every existing thread is pinned; threads started later (the session's workers) inherit the mask of the
/// thread that starts them. <see cref="Restore"/> puts the previous masks back (the CLI runs in-process in tests).
/// </summary>
internal static partial class CpuAffinity
{
    private const int MaskWords = 16; // 1024 CPUs, glibc's CPU_SETSIZE

    /// <summary>"0-3,6" -> {0,1,2,3,6} (the kernel's cpulist format, as taskset -c and /sys/.../online use).</summary>
    public static SortedSet<int> Parse(string list)
    {
        var cpus = new SortedSet<int>();
        foreach (var part in list.Split(',', StringSplitOptions.TrimEntries))
        {
            var ends = part.Split('-', StringSplitOptions.TrimEntries);
            if (ends.Length is < 1 or > 2 || !ends.All(e => int.TryParse(e, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
                throw new EdgeNormException($"--affinity '{list}': expected a CPU list like 0-3,6");
            int lo = int.Parse(ends[0], CultureInfo.InvariantCulture), hi = int.Parse(ends[^1], CultureInfo.InvariantCulture);
            if (lo > hi || hi >= MaskWords * 64)
                throw new EdgeNormException($"--affinity '{list}': range {part} is empty or beyond CPU {MaskWords * 64 - 1}");
            for (int c = lo; c <= hi; c++) cpus.Add(c);
        }
        return cpus;
    }

    /// <summary>Pins every thread of this process to <paramref name="cpus"/>; returns the previous masks by thread id.</summary>
    public static Dictionary<int, ulong[]> Pin(IReadOnlySet<int> cpus)
    {
        if (!OperatingSystem.IsLinux()) throw new EdgeNormException("--affinity needs Linux (sched_setaffinity)");
        var mask = new ulong[MaskWords];
        foreach (int c in cpus) mask[c / 64] |= 1UL << (c % 64);
        var previous = new Dictionary<int, ulong[]>();
        foreach (int tid in Threads())
        {
            var old = new ulong[MaskWords];
            if (SchedGetAffinity(tid, (nuint)(MaskWords * 8), old) == 0) previous[tid] = old;
            if (SchedSetAffinity(tid, (nuint)(MaskWords * 8), mask) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno == 3) continue; // ESRCH: the thread ended meanwhile
                Restore(previous);
                throw new EdgeNormException($"--affinity {string.Join(',', cpus)}: sched_setaffinity failed ({Marshal.GetPInvokeErrorMessage(errno)}); " +
                                            $"this process may use CPUs {AllowedList()}");
            }
        }
        return previous;
    }

    public static void Restore(Dictionary<int, ulong[]> previous)
    {
        ulong[]? fallback = previous.Values.FirstOrDefault();
        foreach (int tid in Threads())
        {
            var mask = previous.TryGetValue(tid, out var m) ? m : fallback; // threads born while pinned get the old default
            if (mask is not null) SchedSetAffinity(tid, (nuint)(MaskWords * 8), mask);
        }
    }

    /// <summary>The kernel's view of the CPUs this process may run on ("Cpus_allowed_list" of /proc/self/status).</summary>
    public static string AllowedList()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal)) return line["Cpus_allowed_list:".Length..].Trim();
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return "";
    }

    private static IEnumerable<int> Threads()
    {
        string[] dirs;
        try { dirs = Directory.GetDirectories("/proc/self/task"); }
        catch (IOException) { return [0]; }
        catch (UnauthorizedAccessException) { return [0]; }
        return dirs.Select(d => int.TryParse(Path.GetFileName(d), out int t) ? t : -1).Where(t => t > 0).ToArray();
    }

    [LibraryImport("libc.so.6", EntryPoint = "sched_setaffinity", SetLastError = true)]
    private static partial int SchedSetAffinity(int pid, nuint size, ulong[] mask);

    [LibraryImport("libc.so.6", EntryPoint = "sched_getaffinity", SetLastError = true)]
    private static partial int SchedGetAffinity(int pid, nuint size, [Out] ulong[] mask);
}
