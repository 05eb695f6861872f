using System.Runtime.InteropServices;

namespace Hub.Bench.Load;

/// <summary>
/// The limit on open files (RLIMIT_NOFILE): every connection is one file in the bench and one in
/// the node, and the nodes the bench starts inherit its limit.
/// </summary>
internal static class FileLimit
{
    private const int NoFile = 7;

    /// <summary>Files the bench and a node need besides their connections (Redis, pipes, the runtime's own).</summary>
    public const int Reserve = 1000;

    /// <summary>
    /// Raises the soft limit to <paramref name="wanted"/> files, first raising the hard limit as far as
    /// the kernel allows (<c>fs.nr_open</c>) when that is below it: that takes CAP_SYS_RESOURCE (root),
    /// without which the soft limit only goes up to the hard one. Returns the limits now in effect,
    /// or null where there is no setrlimit (not Linux).
    /// </summary>
    public static (long Soft, long Hard)? Raise(long wanted)
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        var limit = default(ResourceLimit);
        if (GetLimit(NoFile, ref limit) != 0)
        {
            return null;
        }

        if (limit.Hard < (ulong)wanted)
        {
            var raised = limit with { Hard = Math.Min((ulong)wanted, KernelMaximum() ?? (ulong)wanted) };
            if (SetLimit(NoFile, ref raised) == 0)
            {
                limit = raised;
            }
        }

        if (limit.Soft < limit.Hard)
        {
            var raised = limit with { Soft = Math.Min(limit.Hard, Math.Max(limit.Soft, (ulong)wanted)) };
            if (SetLimit(NoFile, ref raised) == 0)
            {
                limit = raised;
            }
        }

        return ((long)Math.Min(limit.Soft, long.MaxValue), (long)Math.Min(limit.Hard, long.MaxValue));
    }

    /// <summary>Whether this process holds CAP_SYS_RESOURCE (bit 24 of CapEff), without which the hard limit cannot go up; null off Linux.</summary>
    public static bool? CanRaiseHard()
    {
        var line = File.Exists("/proc/self/status") ? File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("CapEff:", StringComparison.Ordinal)) : null;
        return line is not null && ulong.TryParse(line["CapEff:".Length..].Trim(), System.Globalization.NumberStyles.HexNumber, null, out var caps)
            ? (caps & (1UL << 24)) != 0
            : null;
    }

    private static ulong? KernelMaximum() =>
        ulong.TryParse(File.Exists("/proc/sys/fs/nr_open") ? File.ReadAllText("/proc/sys/fs/nr_open").Trim() : null, out var max) ? max : null;

    [StructLayout(LayoutKind.Sequential)]
    private record struct ResourceLimit(ulong Soft, ulong Hard);

#pragma warning disable SYSLIB1054 // LibraryImport would need unsafe code in the project for two calls at start-up.
    [DllImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static extern int GetLimit(int resource, ref ResourceLimit limit);

    [DllImport("libc", EntryPoint = "setrlimit", SetLastError = true)]
    private static extern int SetLimit(int resource, ref ResourceLimit limit);
#pragma warning restore SYSLIB1054
}
