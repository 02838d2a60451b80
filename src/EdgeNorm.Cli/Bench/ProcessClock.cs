using System.Globalization;
using System.Runtime.InteropServices;

namespace EdgeNorm.Cli.Bench;

/// <summary>
/// How long ago this process started, for `bench`'s cold start (process start → first result): the kernel's start
/// time of the process (/proc/self/stat field 22, in clock ticks since boot) against CLOCK_BOOTTIME now. The start
/// time is kept in clock ticks, so the result is only as fine as one tick (<see cref="ResolutionMs"/>, 10 ms at the
/// usual USER_HZ 100); docs/performance.md gives the repeated whole-process measurement beside it.
/// </summary>
internal static partial class ProcessClock
{
    private const int ClockBoottime = 7, ScClkTck = 2;

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    /// <summary>One clock tick in ms, or 0 when unknown.</summary>
    public static double ResolutionMs => TicksPerSecond() is > 0 and var hz ? 1000.0 / hz : 0;

    /// <summary>Milliseconds since the process started, or null where this cannot be read (not Linux).</summary>
    public static double? SinceStartMs()
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            string stat = File.ReadAllText("/proc/self/stat");
            // Field 2 (comm) is in parentheses and may hold spaces: count fields after the last ')'.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            long startTicks = long.Parse(fields[22 - 3], CultureInfo.InvariantCulture);
            long hz = TicksPerSecond();
            if (hz <= 0 || ClockGetTime(ClockBoottime, out var now) != 0) return null;
            double nowMs = now.Seconds * 1000.0 + now.Nanoseconds / 1e6;
            return nowMs - startTicks * 1000.0 / hz;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    private static long TicksPerSecond() => OperatingSystem.IsLinux() ? SysConf(ScClkTck) : 0;

    [LibraryImport("libc.so.6", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out Timespec time);

    [LibraryImport("libc.so.6", EntryPoint = "sysconf")]
    private static partial long SysConf(int name);
}
