using System.Globalization;

namespace Hub.Bench.Cluster;

/// <summary>
/// A node's memory as it reports it itself: its resident set (VmRSS in <c>/proc/PID/status</c>,
/// what the machine gives it) and its managed heap after the last collection (the sum over
/// generations of <c>dotnet_gc_last_collection_heap_size_bytes</c> on its <c>/metrics</c>).
/// </summary>
internal sealed record NodeMemory(long? ResidentBytes, long? HeapBytes)
{
    private const string HeapMetric = "dotnet_gc_last_collection_heap_size_bytes";

    public static async Task<NodeMemory> ReadAsync(ChildProcess? process, Uri? metrics, CancellationToken cancellationToken)
    {
        return new NodeMemory(process is null ? null : Resident(process.Id), metrics is null ? null : await HeapAsync(metrics, cancellationToken));
    }

    /// <summary>What grew from <paramref name="before"/> to <paramref name="after"/> (bytes) per connection, in KiB; null when either is unknown.</summary>
    public static double? PerConnectionKiB(long? before, long? after, int connections) =>
        before is { } b && after is { } a && connections > 0 ? (a - b) / 1024.0 / connections : null;

    private static long? Resident(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return line is null ? null : long.Parse(line["VmRSS:".Length..^"kB".Length].Trim(), CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException)
        {
            return null;
        }
    }

    private static async Task<long?> HeapAsync(Uri metrics, CancellationToken cancellationToken) =>
        await NodeMetrics.ReadAsync(metrics, HeapMetric, cancellationToken) is { Count: > 0 } generations ? (long)generations.Sum() : null;
}
