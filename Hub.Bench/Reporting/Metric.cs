using System.Globalization;

namespace Hub.Bench.Reporting;

/// <summary>One column of the results: how to read it from a round, and how to print it.</summary>
internal sealed record Metric(string Header, string Key, Func<RoundResult, double?> Value, string Format)
{
    public static readonly IReadOnlyList<Metric> All =
    [
        new("connections", "connections", r => r.Connections, "N0"),
        new("connects/s", "connectsPerSecond", r => r.ConnectsPerSecond, "N0"),
        new("RSS KiB/conn", "memoryPerConnectionKiB", r => r.MemoryPerConnectionKiB, "0.00"),
        new("RSS KiB/conn, 2nd half", "marginalMemoryPerConnectionKiB", r => r.MarginalMemoryPerConnectionKiB, "0.00"),
        new("RSS KiB/conn after broadcasts", "memoryAfterBroadcastsPerConnectionKiB", r => r.MemoryAfterBroadcastsPerConnectionKiB, "0.00"),
        new("heap KiB/conn", "heapPerConnectionKiB", r => r.HeapPerConnectionKiB, "0.00"),
        new("broadcast to all ms", "broadcastToAllMs", r => r.BroadcastToAllMs, "0.0"),
        new("node CPU ms/broadcast", "broadcastNodeCpuMs", r => r.BroadcastNodeCpuMs, "0.0"),
        new("moved clients", "movedClients", r => r.MovedClients, "N0"),
        new("lost max s", "lostMaxSeconds", r => r.LostMaxSeconds, "0.00"),
        new("connected p50 s", "connectedP50Seconds", r => r.ConnectedP50Seconds, "0.00"),
        new("connected max s", "connectedMaxSeconds", r => r.ConnectedMaxSeconds, "0.00"),
        new("join+resume p50 s", "rejoinResumeP50Seconds", r => r.RejoinResumeP50Seconds, "0.00"),
        new("join+resume max s", "rejoinResumeMaxSeconds", r => r.RejoinResumeMaxSeconds, "0.00"),
        new("resumed p50 s", "resumedP50Seconds", r => r.ResumedP50Seconds, "0.00"),
        new("resumed p99 s", "resumedP99Seconds", r => r.ResumedP99Seconds, "0.00"),
        new("resumed max s", "resumedMaxSeconds", r => r.ResumedMaxSeconds, "0.00"),
        new("not resumed", "notResumed", r => r.NotResumed, "N0"),
        new("not recovered", "notRecovered", r => r.NotRecovered, "N0"),
        new("stayed p99 before ms", "stayedP99BeforeMs", r => r.StayedP99BeforeMs, "0.00"),
        new("stayed p99 storm ms", "stayedP99StormMs", r => r.StayedP99StormMs, "0.00"),
        new("stayed p99 after ms", "stayedP99AfterMs", r => r.StayedP99AfterMs, "0.00"),
        new("peak connects/s per node", "peakConnectsPerSecond", r => r.PeakConnectsPerSecond, "N0"),
        new("reconnect attempts", "reconnectAttempts", r => r.ReconnectAttempts, "N0"),
        new("survivor refusals", "survivorRefusals", r => r.SurvivorRefusals, "N0"),
        new("survivor CPU before", "survivorCpuBeforeCores", r => r.SurvivorCpuBeforeCores, "0.00"),
        new("survivor CPU storm", "survivorCpuStormCores", r => r.SurvivorCpuStormCores, "0.00"),
        new("survivors healthy", "survivorsHealthy", r => r.SurvivorsHealthy, "0"),
        new("duplicates dropped", "duplicatesDropped", r => r.DuplicatesDropped, "N0"),
        new("offered msg/s", "offeredRate", r => r.OfferedRate, "N0"),
        new("sends/s", "sendsPerSecond", r => r.SendsPerSecond, "N0"),
        new("deliveries/s", "deliveriesPerSecond", r => r.DeliveriesPerSecond, "N0"),
        new("latency p50 ms", "latencyP50Ms", r => r.LatencyP50Ms, "0.00"),
        new("latency p99 ms", "latencyP99Ms", r => r.LatencyP99Ms, "0.00"),
        new("latency p999 ms", "latencyP999Ms", r => r.LatencyP999Ms, "0.00"),
        new("same-node p50 ms", "sameNodeP50Ms", r => r.SameNodeP50Ms, "0.00"),
        new("same-node p99 ms", "sameNodeP99Ms", r => r.SameNodeP99Ms, "0.00"),
        new("cross-node p50 ms", "crossNodeP50Ms", r => r.CrossNodeP50Ms, "0.00"),
        new("cross-node p99 ms", "crossNodeP99Ms", r => r.CrossNodeP99Ms, "0.00"),
        new("Send rtt p50 ms", "sendRttP50Ms", r => r.SendRttP50Ms, "0.000"),
        new("Send rtt p99 ms", "sendRttP99Ms", r => r.SendRttP99Ms, "0.000"),
        new("Redis round trips/msg", "redisRoundTripsPerMessage", r => r.RedisRoundTripsPerMessage, "0.00"),
        new("Redis commands/msg", "redisCommandsPerMessage", r => r.RedisCommandsPerMessage, "0.00"),
        new("server CPU cores", "serverCpuCores", r => r.ServerCpuCores, "0.00"),
        new("of which Redis", "redisCpuCores", r => r.RedisCpuCores, "0.00"),
        new("server CPU µs/delivery", "serverCpuMicrosPerDelivery", r => r.ServerCpuMicrosPerDelivery, "0.00"),
        new("Redis CPU µs/msg", "redisCpuMicrosPerMessage", r => r.RedisCpuMicrosPerMessage, "0.00"),
        new("no-recipient node CPU µs/msg", "idleNodeCpuMicrosPerMessage", r => r.IdleNodeCpuMicrosPerMessage, "0.00"),
        new("no-recipient node bus msgs/msg", "idleNodeBusMessagesPerMessage", r => r.IdleNodeBusMessagesPerMessage, "0.000"),
        new("bench CPU cores", "benchCpuCores", r => r.BenchCpuCores, "0.00"),
        new("bench GC pauses ms", "benchGcPauseMs", r => r.BenchGcPauseMs, "N0"),
        new("losses", "losses", r => r.Losses, "N0"),
        new("errors", "errors", r => r.Errors, "N0"),
    ];

    public string Print(double? value) => value is null ? "–" : value.Value.ToString(Format, CultureInfo.InvariantCulture);

    /// <summary>The median over rounds, the figure that survives a noisy machine.</summary>
    public double? Median(IEnumerable<RoundResult> rounds) => Statistics.Median(rounds.Select(Value));
}
