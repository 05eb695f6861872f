using Hub.Bench.Reporting;

namespace Hub.Bench.Scenarios;

/// <summary>
/// Many small groups: receivers in groups of 5 spanning both nodes, one publisher per node
/// sending each message to one group, at rising rates up to saturation.
/// </summary>
internal static class GroupsScenario
{
    public static readonly ScenarioDefinition Definition = new()
    {
        Name = "groups",
        Description = "many small groups (5 members across the nodes), messages to one group each, at rising rates",
        Variants = [ScenarioDefinition.Hub],
        Load = new LoadShape
        {
            Receivers = 1000,
            Groups = 200,
            Publishers = 2,
            Window = 1,
            Warmup = TimeSpan.FromSeconds(2),
            Duration = TimeSpan.FromSeconds(5),
            Ramp = new RampPlan(StartRate: 500, Factor: 1.5, MaxSteps: 12, P99LimitMs: 50, Fractions: []),
        },
        Goals = report => [Goal.NoLosses(report)],
    };
}
