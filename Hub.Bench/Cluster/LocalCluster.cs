using Hub.Bench.Load;

namespace Hub.Bench.Cluster;

/// <summary>
/// A redis-server and N nodes of the bench's own. Redis lives for the whole run; the nodes
/// (Hub, or a peer's) start afresh for every round with that round's settings, on an emptied
/// Redis, so no round inherits the state or the warmed-up caches of another. Hub's clients
/// speak <paramref name="codec"/> whatever the variant.
/// </summary>
internal sealed class LocalCluster(RedisProcess redis, int nodeCount, IHubCodec codec) : IBenchTarget
{
    private readonly List<ServerNode> _nodes = [];

    public bool AppliesVariants => true;

    public RedisAdmin? Redis => redis.Admin;

    public IReadOnlyList<ChildProcess> ServerProcesses => [redis.Process, .. _nodes.Select(n => n.Process)];

    public static async Task<LocalCluster> StartAsync(int nodeCount, IHubCodec codec)
    {
        // The server build first: a missing build must not leave a redis-server running.
        ServerBuild.FindServerDll();
        return new LocalCluster(await RedisProcess.StartAsync(), nodeCount, codec);
    }

    public async Task<IReadOnlyList<Endpoint>> StartRoundAsync(Variant variant)
    {
        await redis.Admin.CommandAsync("FLUSHALL");
        var starting = Enumerable.Range(1, nodeCount)
            .Select(i => variant.Kind.WithProtocol(codec).StartNodeAsync(i, redis.Configuration, variant.Settings, variant.ServerDll))
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

        return [.. _nodes.Select(n => n.Endpoint)];
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
