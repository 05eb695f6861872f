using Hub.Bench.Reporting;

namespace Hub.Bench.Scenarios;

/// <summary>
/// Latency of a message to receivers on the publisher's node and on the other node, at 10, 50
/// and 80 % of the saturation rate that a ramp finds first. Goal: cross-node p99 ≤ 10 ms at 50 %.
/// </summary>
internal static class LatencyScenario
{
    public const string HalfLoad = "50 % of saturation";

    public static readonly ScenarioDefinition Definition = new()
    {
        Name = "latency",
        Description = "same-node vs cross-node latency at 10, 50 and 80 % of the saturation rate",
        Variants = [ScenarioDefinition.Hub],
        Load = new LoadShape
        {
            Receivers = 100,
            Publishers = 1,
            Window = 1,
            Warmup = TimeSpan.FromSeconds(2),
            Duration = TimeSpan.FromSeconds(5),
            Ramp = new RampPlan(StartRate: 100, Factor: 1.5, MaxSteps: 12, P99LimitMs: 50, Fractions: [0.1, 0.5, 0.8]),
        },
        Goals = report =>
        [
            Goal.AtMost("cross-node p99 ms at 50 % of saturation", 10, report.Median(ScenarioDefinition.HubName, "crossNodeP99Ms", HalfLoad)),
            Goal.NoLosses(report),
        ],
    };
}
