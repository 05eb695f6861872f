using System.Diagnostics;
using Hub.Bench.Cluster;
using Hub.Bench.Load;

namespace Hub.Bench.Scenarios;

/// <summary>The counters at one edge of the measured window; the round's figures are the differences.</summary>
internal sealed record RoundSnapshot(long Timestamp, long Accepted, long Deliveries, TimeSpan ServerCpu, TimeSpan RedisCpu, TimeSpan BenchCpu, CommandStats? Commands)
{
    public static async Task<RoundSnapshot> TakeAsync(IBenchTarget target, IReadOnlyList<Publisher> publishers, IReadOnlyList<Receiver> receivers)
    {
        // Redis first: its counters are the slowest to read, and the clients' counters should sit closest to the clock.
        var commands = target.Redis is null ? null : CommandStats.Parse(await target.Redis.CommandAsync("INFO", "commandstats"));
        var cpu = target.ServerProcesses.Select(p => (p.Name, p.CpuTime)).ToList();
        return new RoundSnapshot(
            Stopwatch.GetTimestamp(),
            publishers.Sum(p => p.Accepted),
            receivers.Sum(r => r.Deliveries),
            cpu.Aggregate(TimeSpan.Zero, (sum, p) => sum + p.CpuTime),
            cpu.Where(p => p.Name == RedisProcess.Name).Aggregate(TimeSpan.Zero, (sum, p) => sum + p.CpuTime),
            Environment.CpuUsage.TotalTime,
            commands);
    }
}
