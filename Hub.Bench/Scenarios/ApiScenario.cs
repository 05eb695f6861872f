using Hub.Bench.Reporting;

namespace Hub.Bench.Scenarios;

/// <summary>
/// What one node's HTTP API takes from concurrent backend callers: 32 callers, each awaiting its
/// broadcast <c>POST /api/v1/messages</c> before the next, all on node 1, with a receiver on each
/// node checking that every accepted message arrives. Goal: ≥ 10,000 messages/s per node.
/// </summary>
internal static class ApiScenario
{
    public static readonly ScenarioDefinition Definition = new()
    {
        Name = "api",
        Description = "concurrent HTTP API callers broadcasting through one node: messages/s per node",
        Variants = [ScenarioDefinition.Hub],
        Load = new LoadShape
        {
            Receivers = 2,
            Publishers = 32,
            Window = 1,
            ApiCallers = true,
        },
        Goals = report =>
        [
            Goal.AtLeast("HTTP API messages/s per node", 10_000, report.Median(ScenarioDefinition.HubName, "sendsPerSecond"), "N0"),
            Goal.NoLosses(report),
        ],
    };
}
