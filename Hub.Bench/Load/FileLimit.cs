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
    /// Raises the soft limit up to the hard one (raising the hard one needs CAP_SYS_RESOURCE).
    /// Returns the limits now in effect, or null where there is no setrlimit (not Linux).
    /// </summary>
    public static (long Soft, long Hard)? Raise()
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

        if (limit.Soft < limit.Hard)
        {
            var raised = limit with { Soft = limit.Hard };
            if (SetLimit(NoFile, ref raised) == 0)
            {
                limit = raised;
            }
        }

        return ((long)Math.Min(limit.Soft, long.MaxValue), (long)Math.Min(limit.Hard, long.MaxValue));
    }

    [StructLayout(LayoutKind.Sequential)]
    private record struct ResourceLimit(ulong Soft, ulong Hard);

#pragma warning disable SYSLIB1054 // LibraryImport would need unsafe code in the project for two calls at start-up.
    [DllImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static extern int GetLimit(int resource, ref ResourceLimit limit);

    [DllImport("libc", EntryPoint = "setrlimit", SetLastError = true)]
    private static extern int SetLimit(int resource, ref ResourceLimit limit);
#pragma warning restore SYSLIB1054
}
