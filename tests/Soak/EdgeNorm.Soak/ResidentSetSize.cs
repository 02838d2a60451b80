using System.Globalization;
using Microsoft.Win32.SafeHandles;

namespace EdgeNorm.Soak;

/// <summary>
/// The process's resident set size read from /proc/self/statm without allocating, so it can be sampled inside the
/// measured loop (the loop's managed allocation count is part of the soak's result and must stay the model's own).
/// </summary>
internal sealed class ResidentSetSize : IDisposable
{
    private readonly SafeFileHandle _statm = File.OpenHandle("/proc/self/statm");
    private readonly byte[] _buffer = new byte[256];

    /// <summary>Bytes resident now (second field of statm, in pages).</summary>
    public long Read()
    {
        int n = RandomAccess.Read(_statm, _buffer, 0);
        int i = 0;
        while (i < n && _buffer[i] != (byte)' ') i++;   // skip "size"
        long pages = 0;
        for (i++; i < n && _buffer[i] is >= (byte)'0' and <= (byte)'9'; i++) pages = pages * 10 + (_buffer[i] - '0');
        return pages * Environment.SystemPageSize;
    }

    public void Dispose() => _statm.Dispose();

    public static string KiB(long bytes) => (bytes / 1024).ToString("N0", CultureInfo.InvariantCulture);
}
