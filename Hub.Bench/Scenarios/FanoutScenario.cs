using Hub.Bench.Reporting;

namespace Hub.Bench.Scenarios;

/// <summary>
/// Broadcast fan-out: receivers across the nodes, one publisher in an open loop at rising rates
/// (deliveries/s, p50/p99/p999 latency, losses per step) up to the highest rate the servers
/// carry with p99 under 50 ms. With <c>--peer</c>, the same against plain SignalR, Socket.IO or the raw server.
/// </summary>
internal static class FanoutScenario
{
    public static readonly ScenarioDefinition Definition = new()
    {
        Name = "fanout",
        Description = "broadcast to every receiver at rising rates: deliveries/s, latency, saturation, CPU per delivery",
        Variants = [ScenarioDefinition.Hub],
        Load = new LoadShape
        {
            Receivers = 500,
            Publishers = 1,
            Window = 1,
            Warmup = TimeSpan.FromSeconds(2),
            Duration = TimeSpan.FromSeconds(5),
            Ramp = new RampPlan(StartRate: 20, Factor: 1.5, MaxSteps: 12, P99LimitMs: 50, Fractions: []),
        },
        Goals = report => [Goal.NoLosses(report)],
    };
}
