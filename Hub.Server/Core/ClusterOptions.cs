namespace Hub.Server.Core;

/// <summary>Where the node stands in a cluster: bound from the <c>Hub</c> section.</summary>
internal sealed class ClusterOptions
{
    public const string Section = "Hub";

    /// <summary>StackExchange.Redis configuration string; empty = embedded single-node mode.</summary>
    public string? Redis { get; set; }

    /// <summary>Names the node in presence and logs. Default: machine name plus a short random suffix.</summary>
    public string NodeId { get; set; } = "";

    /// <summary>
    /// On a Redis Cluster, whether a node receives only the messages it has a recipient for
    /// (sharded channels per partition and node, docs/design/redis-cluster.md §4); off, every node
    /// receives every message on one channel, as on one server and Sentinel. Off by default until
    /// epochs follow a slot's owner (docs/design/redis-cluster.md §7 step 5): a node that has no
    /// recipient for a stream no longer sees its messages, so it cannot tell the stream went back
    /// after a failover whose replica lacked the last writes, and could hand out an offset again.
    /// </summary>
    public bool InterestRouting { get; set; } = true;

    public bool UsesRedis => !string.IsNullOrWhiteSpace(Redis);
}
