namespace Hub.Tests.Infrastructure;

/// <summary>Where a node a test started can be reached, in the test process or in its own.</summary>
public abstract class HubNode(Uri baseUrl, string nodeId)
{
    public Uri BaseUrl { get; } = baseUrl;

    public Uri HubUrl => new(BaseUrl, "/hub");

    public string NodeId { get; } = nodeId;

    /// <summary>Waits, bounded, until /readyz says 200: Redis connected and the bus subscribed.</summary>
    public async Task WaitUntilReadyAsync(TimeSpan? timeout = null)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        await Bounded.UntilAsync(async () =>
        {
            using var response = await http.GetAsync(new Uri(BaseUrl, "/readyz"));
            return response.IsSuccessStatusCode;
        }, $"{NodeId} is ready (Redis connected, the bus subscribed)", timeout);
    }
}
