namespace Hub.Bench.Cluster;

/// <summary>
/// A redis-server and N Hub nodes of the bench's own. Redis lives for the whole run; the nodes
/// start afresh for every round with that round's settings, on an emptied Redis, so no round
/// inherits the state or the warmed-up caches of another.
/// </summary>
internal sealed class LocalCluster(RedisProcess redis, string serverDll, int nodeCount) : IBenchTarget
{
    private readonly List<HubNodeProcess> _nodes = [];

    public bool AppliesVariants => true;

    public RedisAdmin? Redis => redis.Admin;

    public IReadOnlyList<ChildProcess> ServerProcesses => [redis.Process, .. _nodes.Select(n => n.Process)];

    public static async Task<LocalCluster> StartAsync(int nodeCount) =>
        new(await RedisProcess.StartAsync(), ServerBuild.FindServerDll(), nodeCount);

    public async Task<IReadOnlyList<Uri>> StartRoundAsync(Variant variant)
    {
        await redis.Admin.CommandAsync("FLUSHALL");
        var settings = new Dictionary<string, string>(variant.Settings)
        {
            ["Hub:Redis"] = redis.Configuration,
            // The per-connection rate limit protects a production node; here it would measure itself.
            ["Hub:Limits:MessagesPerSecond"] = "1000000",
        };
        var started = await Task.WhenAll(Enumerable.Range(1, nodeCount)
            .Select(i => HubNodeProcess.StartAsync(serverDll, $"bench-node-{i}", settings)));
        _nodes.AddRange(started);
        return [.. _nodes.Select(n => new Uri(n.BaseUrl, "/hub"))];
    }

    public async Task EndRoundAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }

        _nodes.Clear();
    }

    public async ValueTask DisposeAsync()
    {
        await EndRoundAsync();
        await redis.DisposeAsync();
    }
}
