using System.Globalization;

namespace Hub.Bench.Cluster;

/// <summary>
/// Calls per Redis command from <c>INFO commandstats</c>. Redis counts the commands a Lua
/// script runs as well as the EVALSHA itself, so these are commands executed, not round trips
/// (those come from <see cref="RedisMonitor"/>).
/// </summary>
internal sealed class CommandStats(IReadOnlyDictionary<string, long> calls)
{
    public IReadOnlyDictionary<string, long> Calls { get; } = calls;

    public static CommandStats Parse(string info)
    {
        var calls = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var line in info.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            // cmdstat_evalsha:calls=123,usec=...
            const string prefix = "cmdstat_";
            var colon = line.IndexOf(':');
            if (!line.StartsWith(prefix, StringComparison.Ordinal) || colon < 0)
            {
                continue;
            }

            var fields = line[(colon + 1)..].Split(',');
            var callsField = fields.FirstOrDefault(f => f.StartsWith("calls=", StringComparison.Ordinal));
            if (callsField is not null)
            {
                calls[line[prefix.Length..colon]] = long.Parse(callsField.AsSpan("calls=".Length), CultureInfo.InvariantCulture);
            }
        }

        return new CommandStats(calls);
    }

    /// <summary>The counts of several servers (the masters of a cluster) added up.</summary>
    public static CommandStats Sum(IEnumerable<CommandStats> servers) =>
        new(servers.SelectMany(s => s.Calls)
            .GroupBy(c => c.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Sum(c => c.Value), StringComparer.Ordinal));

    /// <summary>What ran between <paramref name="before"/> and this, without the bench's own and the subscriptions' commands.</summary>
    public CommandStats Since(CommandStats before) =>
        new(Calls
            .Where(c => RedisMonitor.CountsAsWork(c.Key))
            .Select(c => (c.Key, Calls: c.Value - before.Calls.GetValueOrDefault(c.Key)))
            .Where(c => c.Calls > 0)
            .ToDictionary(c => c.Key, c => c.Calls, StringComparer.Ordinal));

    public long Total => Calls.Values.Sum();
}
