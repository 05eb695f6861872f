using Hub.Bench.Reporting;

namespace Hub.Bench.Scenarios;

/// <summary>
/// Whether publishing is the bottleneck: one connection that awaits each Send (SignalR runs one
/// invocation per connection at a time, so every round trip inside Send caps the sender).
/// Goal: ≥ 5,000 sends/s with history on.
/// </summary>
internal static class PublishScenario
{
    public static readonly ScenarioDefinition Definition = new()
    {
        Name = "publish",
        Description = "one connection awaiting each Send, history off vs on: sends/s and round-trip time",
        Variants = ScenarioDefinition.HistoryOffAndOn,
        Load = new LoadShape
        {
            Receivers = 0,
            Publishers = 1,
            Window = 1,
        },
        Goals = report =>
        [
            Goal.AtLeast("sends/s on one connection, history on", 5000, report.Median(ScenarioDefinition.HistoryOn, "sendsPerSecond"), "N0"),
        ],
    };
}
