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
    /// (sharded channels per partition and node, docs/design/redis-cluster.md §4), the default; off,
    /// every node receives every message on one classic channel, as on one server and Sentinel. A
    /// stream that went back in a failover is told by its epoch's owner lineage (§12), which does
    /// not need every node to see every message. No effect elsewhere.
    /// </summary>
    public bool InterestRouting { get; set; } = true;

    public bool UsesRedis => !string.IsNullOrWhiteSpace(Redis);
}
