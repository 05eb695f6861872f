using Hub.Bench.Reporting;

namespace Hub.Bench.Scenarios;

/// <summary>
/// A node failing under load: three nodes each holding a third of 10,000 clients in groups of
/// about five, a publisher on node 1 sending to the groups at a steady rate; node 3 is killed and
/// its clients come back on the others as Hub.Client would, and resume. Goals: every one of them
/// back and resumed within 10 s, nothing lost, repeated or out of order, the p99 latency of the
/// clients that kept their node under 50 ms meanwhile, and survivors that admit the storm.
/// </summary>
internal static class FailoverScenario
{
    public static readonly ScenarioDefinition Definition = new()
    {
        Name = "failover",
        Description = "one of 3 nodes killed under 10,000 clients in groups: time until its clients are back and resumed, losses, the others' p99, the connect storm",
        Variants = [ScenarioDefinition.Hub],
        Load = new LoadShape
        {
            Connections = 10_000,
            Nodes = 3,
            Receivers = 0,
            Groups = 2_000,
            Publishers = 1,
            Window = 1,
            Rate = 400,
            Warmup = TimeSpan.FromSeconds(3),
            Duration = TimeSpan.FromSeconds(5),
            RoundTripSample = TimeSpan.Zero,
            Failover = new FailoverPlan(KillNode: 2, ResumeTimeout: TimeSpan.FromSeconds(30), After: TimeSpan.FromSeconds(3)),
        },
        Goals = report =>
        [
            Goal.AtMost("every moved client back and resumed, s (max)", 10, report.Median(ScenarioDefinition.HubName, "resumedMaxSeconds"), "0.00"),
            Goal.AtMost("moved clients not back, or not recovered", 0, report.Rounds.Sum(r => (r.NotResumed ?? 0) + (r.NotRecovered ?? 0)), "0"),
            Goal.AtMost("p99 of the clients that kept their node, during the storm, ms", 50, report.Median(ScenarioDefinition.HubName, "stayedP99StormMs"), "0.00"),
            Goal.AtLeast("surviving nodes healthy throughout", 1, report.Rounds.Min(r => r.SurvivorsHealthy), "0"),
            Goal.NoLosses(report),
        ],
    };
}
