using Hub.Bench.Reporting;

namespace Hub.Bench.Scenarios;

/// <summary>
/// What message history costs: the same closed-loop broadcast load across 2 nodes with history
/// off and on. Goals: ≥ 80 % of the history-off throughput, one Redis round trip per message.
/// </summary>
internal static class HistoryScenario
{
    public static readonly ScenarioDefinition Definition = new()
    {
        Name = "history",
        Description = "broadcast throughput, latency and Redis round trips per message, history off vs on",
        Variants = ScenarioDefinition.HistoryOffAndOn,
        Load = new LoadShape
        {
            Receivers = 20,
            Publishers = 2,
            Window = 16,
        },
        Goals = report =>
        [
            Goal.AtLeast("history-on / history-off sends/s", 0.80, report.Ratio("sendsPerSecond")),
            // 1 is the goal; the 5 % allow for the MONITOR sample's edges and the nodes' heartbeats.
            Goal.AtMost("Redis round trips per message, history on", 1.05, report.Median(ScenarioDefinition.HistoryOn, "redisRoundTripsPerMessage")),
            Goal.NoLosses(report),
        ],
    };
}
