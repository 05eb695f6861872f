using Hub.Bench.Load;

namespace Hub.Bench.Cluster;

/// <summary>
/// A Redis (one redis-server with its replicas, or a Redis Cluster: <see cref="IBenchRedis"/>) and
/// N nodes of the bench's own. Redis lives for the whole run; the nodes (Hub, or a peer's) start
/// afresh for every round with that round's settings, on an emptied Redis, so no round inherits
/// the state or the warmed-up caches of another. Hub's clients speak <paramref name="codec"/>
/// whatever the variant.
/// </summary>
internal sealed class LocalCluster(IBenchRedis redis, int nodeCount, IHubCodec codec) : IBenchTarget
{
    private readonly List<ServerNode> _nodes = [];

    public bool AppliesVariants => true;

    public IReadOnlyList<RedisAdmin> Redis => redis.Masters;

    public IReadOnlyList<ChildProcess> ServerProcesses => [.. redis.Processes, .. _nodes.Select(n => n.Process)];

    /// <param name="replicaCount">Replicas of the one server, or with <paramref name="redisCluster"/> of each master.</param>
    public static async Task<LocalCluster> StartAsync(int nodeCount, IHubCodec codec, int replicaCount = 0, bool redisCluster = false)
    {
        // The server build first: a missing build must not leave a redis-server running.
        ServerBuild.FindServerDll();
        IBenchRedis redis = redisCluster ? await ClusteredRedis.StartAsync(replicaCount) : await StandaloneRedis.StartAsync(replicaCount);
        return new LocalCluster(redis, nodeCount, codec);
    }

    public async Task<IReadOnlyList<Endpoint>> StartRoundAsync(Variant variant)
    {
        await redis.FlushAsync();
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

    public Task KillNodeAsync(int node) => _nodes[node].Process.KillAsync();

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
