using System.IO.Hashing;
using System.Text;

namespace Hub.Server.Redis;

/// <summary>
/// Every Redis key and channel Hub uses is built here: layout v2, the same on one server,
/// Sentinel and a Redis Cluster (docs/design/redis-cluster.md §2). On a cluster a script may touch
/// the keys of one hash slot only, so every key starts with a hash tag, and the keys one script
/// call touches share it. The streams <c>group:g</c>, <c>user:u</c> and <c>connection:id</c> fall
/// in one of <see cref="Partitions"/> partitions (XxHash32 of the stream name); partition k's tag
/// hashes into the k-th of as many equal slot ranges, so the partitions spread evenly over the
/// masters. The tag comes first: names may hold braces, and braces later in a key do not count.
/// <code>
/// {all}  hub:{all}:bus                 pub/sub channel every node subscribes to: all messages and presence events, in one order
///                                      (on a Redis Cluster a sharded channel, broadcasts only; field "bus" of hub:{all}:seq numbers them)
///        hub:{all}:layout              string "v{version} p{partitions}": the layout the cluster's nodes use, checked at start
///        hub:{all}:s:all:meta/log      the broadcast stream (as below)
/// any    hub:nodes                     zset   node id -> last heartbeat (unix ms)
/// Pc     hub:{Pc}:conns                hash   connection id -> "{node}\n{user}" (the registry, one per partition)
///        hub:{Pc}:c:{id}:groups        set    groups one connection is in (leave them all on disconnect)
///        hub:{Pc}:node:{node}          set    connection ids of one node in this partition (purge of a dead node)
///        hub:{Pc}:nodecount            hash   node id -> its connections in this partition (per-node counts)
///        hub:{Pc}:leaving              hash   connection id -> "{unix ms}\n{node}\n{user}\n{groups…}": forgotten here, not yet in its groups and user (the outbox)
/// Pu     hub:{Pu}:u:{u}:conns          set    live connections of user u
///        hub:{Pu}:u:{u}:nodes          hash   node id -> connections of user u on that node
///        hub:{Pu}:users                set    users with a live connection, in this partition
/// Pg     hub:{Pg}:g:{g}:conns          hash   member connection id -> "{node}\n{user}"
///        hub:{Pg}:g:{g}:users          hash   user id -> member connections of that user
///        hub:{Pg}:g:{g}:nodes          hash   node id -> member connections on that node
/// Pk     hub:{Pk}:n:{node}             sharded channel of partition k for one node (Redis Cluster only): what its streams send to that node
///        hub:{Pk}:seq                  hash   node id -> the last sequence number sent on that node's channel of partition k
/// Ps     hub:{Ps}:s:{s}:meta           hash   epoch, offset (the last offset used) of stream s
///        hub:{Ps}:s:{s}:log            stream history of s; entry id "{offset}-0", field "m" = the bus body
/// </code>
/// Pc, Pu, Pg and Ps are the tags of the streams <c>connection:id</c>, <c>user:u</c>,
/// <c>group:g</c> and s, so a stream's history lives beside its presence. Keys a script cannot
/// declare up front (a connection's node set) are built in Lua from prefixes passed in, which
/// carry the same tag.
/// </summary>
internal static class RedisKeys
{
    /// <summary>The layout's version: nodes of another version use other keys and must not share a Redis with this one.</summary>
    public const int Version = 2;

    /// <summary>How many partitions presence and streams are spread over; fixed, since changing it moves every key.</summary>
    public const int Partitions = 64;

    private const string AllTag = "all";

    /// <summary>The tag of partition k, chosen once so that its slot falls in the k-th of <see cref="Partitions"/> equal slot ranges.</summary>
    private static readonly string[] Tags = ChooseTags();

    public const string Bus = "hub:{" + AllTag + "}:bus";
    public const string Layout = "hub:{" + AllTag + "}:layout";
    public const string Nodes = "hub:nodes";
    public const string BusSequence = "hub:{" + AllTag + "}:seq";

    /// <summary>What <see cref="Layout"/> holds for this version.</summary>
    public static readonly string LayoutValue = $"v{Version} p{Partitions}";

    /// <summary>The partition of a stream of a group, user or connection.</summary>
    public static int PartitionOf(string stream) =>
        (int)(XxHash32.HashToUInt32(Encoding.UTF8.GetBytes(stream)) % Partitions);

    public static int PartitionOfConnection(string connectionId) => PartitionOf("connection:" + connectionId);

    public static string Tag(int partition) => Tags[partition];

    // The broadcast stream has the {all} slot of its own: it has no presence beside it.
    private static string TagOf(string stream) => stream == "all" ? AllTag : Tags[PartitionOf(stream)];

    private static string Prefix(string tag) => $"hub:{{{tag}}}:";

    private static string Prefix(int partition) => Prefix(Tags[partition]);

    public static string StreamMeta(string stream) => $"{Prefix(TagOf(stream))}s:{stream}:meta";

    public static string StreamLog(string stream) => $"{Prefix(TagOf(stream))}s:{stream}:log";

    // A connection's partition.
    public static string Registry(int partition) => Prefix(partition) + "conns";

    public static string NodeCounts(int partition) => Prefix(partition) + "nodecount";

    public static string Leaving(int partition) => Prefix(partition) + "leaving";

    public static string NodeSetPrefix(int partition) => Prefix(partition) + "node:";

    public static string NodeConnections(int partition, string node) => NodeSetPrefix(partition) + node;

    public static string GroupSetPrefix(int partition) => Prefix(partition) + "c:";

    public const string GroupSetSuffix = ":groups";

    public static string ConnectionGroups(string connectionId) =>
        GroupSetPrefix(PartitionOfConnection(connectionId)) + connectionId + GroupSetSuffix;

    // A partition's node channels (interest routing on a Redis Cluster).
    public static string NodeChannelPrefix(int partition) => Prefix(partition) + "n:";

    public static string NodeChannel(int partition, string node) => NodeChannelPrefix(partition) + node;

    public static string ChannelSequences(int partition) => Prefix(partition) + "seq";

    // A user's partition.
    public static string UserConnections(string user) => $"{Prefix(TagOf("user:" + user))}u:{user}:conns";

    public static string UserNodes(string user) => $"{Prefix(TagOf("user:" + user))}u:{user}:nodes";

    public static string Users(int partition) => Prefix(partition) + "users";

    public static string UsersOf(string user) => Users(PartitionOf("user:" + user));

    // A group's partition.
    public static string GroupConnections(string group) => $"{Prefix(TagOf("group:" + group))}g:{group}:conns";

    public static string GroupUsers(string group) => $"{Prefix(TagOf("group:" + group))}g:{group}:users";

    public static string GroupNodes(string group) => $"{Prefix(TagOf("group:" + group))}g:{group}:nodes";

    // Short tags ("p0", "p1", …) taken in order, each for the first slot range still without one:
    // the same on every node, since it depends on nothing but the CRC16 of the tags.
    private static string[] ChooseTags()
    {
        var tags = new string?[Partitions];
        var left = Partitions;
        for (var n = 0; left > 0; n++)
        {
            var tag = "p" + n;
            var range = HashSlot.Of(tag) * Partitions / HashSlot.Count;
            if (tags[range] is null)
            {
                tags[range] = tag;
                left--;
            }
        }

        return tags!;
    }
}
