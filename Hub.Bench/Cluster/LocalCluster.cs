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

    public static async Task<LocalCluster> StartAsync(int nodeCount)
    {
        // The server build first: a missing build must not leave a redis-server running.
        var serverDll = ServerBuild.FindServerDll();
        return new LocalCluster(await RedisProcess.StartAsync(), serverDll, nodeCount);
    }

    public async Task<IReadOnlyList<Uri>> StartRoundAsync(Variant variant)
    {
        await redis.Admin.CommandAsync("FLUSHALL");
        var settings = new Dictionary<string, string>(variant.Settings)
        {
            ["Hub:Redis"] = redis.Configuration,
            // The per-connection rate limit protects a production node; here it would measure itself.
            ["Hub:Limits:MessagesPerSecond"] = "1000000",
        };
        var starting = Enumerable.Range(1, nodeCount)
            .Select(i => HubNodeProcess.StartAsync(variant.ServerDll ?? serverDll, $"bench-node-{i}", settings))
            .ToList();
        try
        {
            await Task.WhenAll(starting);
        }
        finally
        {
            // Keep whatever did start, so that ending the round stops it even when a sibling failed.
            _nodes.AddRange(starting.Where(t => t.IsCompletedSuccessfully).Select(t => t.Result));
        }

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
