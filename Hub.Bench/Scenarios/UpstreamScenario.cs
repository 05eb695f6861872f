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

    private const string Secret = "bench webhook secret";

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
                ["Hub:Upstream:Secret"] = Secret,
            }),
        ],
        Load = new LoadShape
        {
            Receivers = 20,
            Publishers = 4,
            Window = 4,
        },
        StartBackendAsync = async () => new CountedBackend(await WebhookBackend.StartAsync(Secret, BackendPort, record: false)),
        Goals = report => [Goal.NoLosses(report)],
    };
}

/// <summary>The backend, which says when it stops how many webhooks it answered: none means the upstream variant asked nothing.</summary>
internal sealed class CountedBackend(WebhookBackend backend) : IAsyncDisposable
{
    public async ValueTask DisposeAsync()
    {
        await backend.DisposeAsync();
        Console.Error.WriteLine($"The webhook backend allowed {backend.Allowed:N0} webhooks and refused {backend.BadSignatures:N0} with a bad signature.");
    }
}
