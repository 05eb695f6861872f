namespace Hub.Bench.Cluster;

/// <summary>
/// A Redis Cluster of three masters (<c>--redis-cluster</c>), made as the tests make theirs
/// (<see cref="RedisCluster"/>); with <c>--replicas N</c>, N replicas per master. What interest
/// routing needs (<c>Hub:InterestRouting</c> acts only on a cluster).
/// </summary>
internal sealed class ClusteredRedis : IBenchRedis
{
    // Redis's own default: no replica is waiting to take over, so a master busy on a loaded
    // machine should not be counted failed and its slots refused in the middle of a round.
    private const int NodeTimeoutMilliseconds = 15_000;

    private readonly RedisCluster _cluster;
    private readonly IReadOnlyList<RedisProcess> _masters;

    private ClusteredRedis(RedisCluster cluster, IReadOnlyList<RedisProcess> masters)
    {
        _cluster = cluster;
        _masters = masters;
    }

    public string Configuration => _cluster.Configuration;

    public IReadOnlyList<RedisAdmin> Masters => [.. _masters.Select(m => m.Admin)];

    public IReadOnlyList<ChildProcess> Processes => [.. _cluster.Servers.Select(s => s.Process)];

    public static async Task<ClusteredRedis> StartAsync(int replicasPerMaster)
    {
        var cluster = await RedisCluster.StartAsync(replicasPerMaster, NodeTimeoutMilliseconds);
        try
        {
            // Nothing fails over during a run, so the masters found now stay the masters.
            var masterPorts = (await cluster.NodesAsync(cluster.Servers[0])).Where(n => n.IsMaster).Select(n => n.Port).ToHashSet();
            return new ClusteredRedis(cluster, [.. cluster.Servers.Where(s => masterPorts.Contains(s.Port))]);
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    public Task FlushAsync() => _cluster.FlushAllAsync();

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();
}
