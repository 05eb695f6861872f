namespace Hub.Bench.Cluster;

/// <summary>
/// The Redis a <see cref="LocalCluster"/>'s nodes share for the whole run: one redis-server (with
/// replicas, if asked for) or a Redis Cluster of three masters (<c>--redis-cluster</c>).
/// </summary>
internal interface IBenchRedis : IAsyncDisposable
{
    /// <summary><c>Hub:Redis</c> for the nodes: the server, or every server of the cluster as seeds.</summary>
    string Configuration { get; }

    /// <summary>The servers that take writes, whose command counts add up to what the nodes asked of Redis.</summary>
    IReadOnlyList<RedisAdmin> Masters { get; }

    /// <summary>Every redis-server, replicas included, whose CPU time adds up to Redis's.</summary>
    IReadOnlyList<ChildProcess> Processes { get; }

    /// <summary>Empties every master (the replicas follow), so no round inherits another's data.</summary>
    Task FlushAsync();
}
