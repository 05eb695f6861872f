using Hub.Bench.Cluster;
using Hub.Bench.Reporting;

namespace Hub.Bench.Scenarios;

/// <summary>
/// What the upstream webhooks cost: the same closed-loop load without an upstream and with one (a
/// local backend that checks each signature and allows everything), every Send asking it first.
/// Messages/s, and the p99 each message gains, from Send to receipt and Send's own round trip.
/// </summary>
internal static class UpstreamScenario
{
    public const string Without = "no upstream";
    public const string With = "upstream";

    private static readonly int BackendPort = Ports.Free();

    public static readonly ScenarioDefinition Definition = new()
    {
        Name = "upstream",
        Description = "messages/s and p99 without vs with upstream webhooks (a local backend, every event asked)",
        Variants =
        [
            new(Without, new Dictionary<string, string>()),
            new(With, new Dictionary<string, string>
            {
                ["Hub:Upstream:Url"] = $"http://127.0.0.1:{BackendPort}/hooks",
                ["Hub:Upstream:Secret"] = WebhookBackend.Secret,
            }),
        ],
        Load = new LoadShape
        {
            Receivers = 20,
            Publishers = 4,
            Window = 4,
        },
        StartBackendAsync = async () => await WebhookBackend.StartAsync(BackendPort),
        Goals = report => [Goal.NoLosses(report)],
    };
}
