using System.Text;

namespace Hub.Bench.Cluster;

/// <summary>
/// Counts the commands clients send to Redis over a short window with MONITOR, which marks the
/// commands a Lua script runs as coming from "lua": what is left are the round trips. MONITOR
/// slows Redis down, so it runs after the measured window, never during it.
/// </summary>
internal static class RedisMonitor
{
    private static readonly HashSet<string> NotWork = new(StringComparer.OrdinalIgnoreCase)
    {
        // The bench's own probes and the nodes' one-off subscription set-up are no per-message cost.
        "info", "monitor", "subscribe", "unsubscribe", "psubscribe", "punsubscribe", "ssubscribe", "sunsubscribe",
        "config|resetstat", "flushall",
    };

    public static bool CountsAsWork(string command) => !NotWork.Contains(command);

    /// <summary>Top-level commands per name seen during <paramref name="window"/>, on every given server (the masters of a cluster) at once, added up.</summary>
    public static async Task<IReadOnlyDictionary<string, long>> SampleAsync(IReadOnlyList<RedisAdmin> servers, TimeSpan window) =>
        (await Task.WhenAll(servers.Select(s => SampleAsync(s, window))))
            .SelectMany(counts => counts)
            .GroupBy(c => c.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Sum(c => c.Value), StringComparer.Ordinal);

    private static async Task<Dictionary<string, long>> SampleAsync(RedisAdmin admin, TimeSpan window)
    {
        using var timeout = new CancellationTokenSource(window + TimeSpan.FromSeconds(5));
        var (client, stream) = await RedisAdmin.OpenAsync(admin.Host, admin.Port, timeout.Token);
        using var connection = client;
        await using var network = stream;
        using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: false);
        await stream.WriteAsync(RedisAdmin.Encode(["MONITOR"]), timeout.Token);
        if (await reader.ReadLineAsync(timeout.Token) != "+OK")
        {
            throw new InvalidOperationException("Redis refused MONITOR.");
        }

        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        var end = DateTime.UtcNow + window;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token);
        stop.CancelAfter(window);
        try
        {
            while (DateTime.UtcNow < end)
            {
                var line = await reader.ReadLineAsync(stop.Token);
                if (line is null)
                {
                    break;
                }

                if (TopLevelCommand(line) is { } command && CountsAsWork(command))
                {
                    counts[command] = counts.GetValueOrDefault(command) + 1;
                }
            }
        }
        catch (OperationCanceledException) when (!timeout.IsCancellationRequested)
        {
            // The window ended while waiting for a line.
        }

        return counts;
    }

    // +1700000000.123456 [0 127.0.0.1:50000] "evalsha" "..." — or [0 lua] for a script's own call.
    private static string? TopLevelCommand(string line)
    {
        var open = line.IndexOf('[');
        var close = open < 0 ? -1 : line.IndexOf(']', open);
        if (close < 0 || line.AsSpan(open, close - open).EndsWith(" lua", StringComparison.Ordinal))
        {
            return null;
        }

        var start = line.IndexOf('"', close);
        var finish = start < 0 ? -1 : line.IndexOf('"', start + 1);
        return finish < 0 ? null : line[(start + 1)..finish].ToLowerInvariant();
    }
}
