namespace Hub.Tests.Infrastructure;

/// <summary>The setups every behaviour runs against.</summary>
public enum Topology
{
    /// <summary>One node, embedded default: no Redis. "Node A" and "node B" are the same node.</summary>
    InMemory,

    /// <summary>Two nodes sharing a real redis-server.</summary>
    Redis,

    /// <summary>
    /// Two nodes on a real Redis Cluster of three masters with a replica each (<see cref="Hub.Testing.RedisCluster"/>),
    /// started once per fixture and flushed before each test.
    /// </summary>
    RedisCluster,
}
