using System.Diagnostics;
using Hub.Bench.Cluster;
using Hub.Bench.Load;

namespace Hub.Bench.Scenarios;

/// <summary>The counters at one edge of the measured window; the round's figures are the differences.</summary>
internal sealed record RoundSnapshot(
    long Timestamp,
    long Accepted,
    long Deliveries,
    TimeSpan ServerCpu,
    TimeSpan RedisCpu,
    TimeSpan BenchCpu,
    CommandStats? Commands,
    IReadOnlyList<NodeSample> Watched)
{
    /// <param name="watched">The nodes (0-based) whose own CPU and bus counts to read: those with no recipient.</param>
    public static async Task<RoundSnapshot> TakeAsync(
        IBenchTarget target,
        IReadOnlyList<Publisher> publishers,
        IReadOnlyList<Receiver> receivers,
        IReadOnlyList<Endpoint> endpoints,
        IReadOnlyList<int> watched,
        CancellationToken cancellationToken)
    {
        // Redis and the nodes' endpoints first: they are the slowest to read, and the clients' counters should sit closest to the clock.
        CommandStats? commands = null;
        if (target.Redis.Count > 0)
        {
            var servers = new List<CommandStats>();
            foreach (var server in target.Redis)
            {
                servers.Add(CommandStats.Parse(await server.CommandAsync("INFO", "commandstats")));
            }

            commands = CommandStats.Sum(servers);
        }

        // Every kind added up; a node that has taken nothing yet has no series at all, which is 0.
        var bus = await Task.WhenAll(watched.Select(async n => NodeMetrics.Of(endpoints[n].Url) is { } metrics
            ? (await NodeMetrics.ReadAsync(metrics, NodeMetrics.BusMessages, cancellationToken))?.Sum()
            : null));
        var cpu = target.ServerProcesses.Select(p => (p.Name, p.CpuTime)).ToList();
        var nodes = cpu.Where(p => p.Name != RedisProcess.Name).ToList();
        return new RoundSnapshot(
            Stopwatch.GetTimestamp(),
            publishers.Sum(p => p.Accepted),
            receivers.Sum(r => r.Deliveries),
            cpu.Aggregate(TimeSpan.Zero, (sum, p) => sum + p.CpuTime),
            cpu.Where(p => p.Name == RedisProcess.Name).Aggregate(TimeSpan.Zero, (sum, p) => sum + p.CpuTime),
            Environment.CpuUsage.TotalTime,
            commands,
            [.. watched.Select((n, i) => new NodeSample(n < nodes.Count ? nodes[n].CpuTime : null, bus[i]))]);
    }
}

/// <summary>One watched node at one edge of the window: its CPU time (when the bench started it) and the messages its bus reader had taken (from its <c>/metrics</c>).</summary>
internal sealed record NodeSample(TimeSpan? Cpu, double? BusMessages);
