namespace Hub.Server.Redis;

/// <summary>
/// Every Redis key and channel Hub uses is built here. The layout:
/// <code>
/// hub:bus                      pub/sub channel every node subscribes to: all messages and presence events, in one order
/// hub:nodes                    zset   node id -> last heartbeat (unix ms)
/// hub:conns                    hash   connection id -> "{node}\n{user}" (the cluster-wide connection registry)
/// hub:users                    hash   user id -> live connections of that user
/// hub:node:{node}:conns        set    connection ids held by one node (per-node counts, purge of a dead node)
/// hub:conn:{id}:groups         set    groups one connection is in (leave them all on disconnect)
/// hub:group:{g}:conns          hash   connection id -> user id ("" when anonymous)
/// hub:group:{g}:users          hash   user id -> member connections of that user
/// hub:group:{g}:nodes          hash   node id -> member connections on that node
/// hub:stream:{s}:meta          hash   epoch, offset (the last offset used) of stream s
/// hub:stream:{s}:log           stream history of s; entry id "{offset}-0", field "m" = the bus body
/// </code>
/// Lua scripts that touch keys they cannot declare up front (a connection's groups) derive
/// them from the same prefixes, passed in as arguments so the layout stays written once.
/// </summary>
internal static class RedisKeys
{
    public const string Bus = "hub:bus";
    public const string Nodes = "hub:nodes";
    public const string Connections = "hub:conns";
    public const string Users = "hub:users";
    public const string GroupPrefix = "hub:group:";
    public const string ConnectionPrefix = "hub:conn:";
    public const string NodePrefix = "hub:node:";

    public static string NodeConnections(string node) => $"{NodePrefix}{node}:conns";

    public static string ConnectionGroups(string connectionId) => $"{ConnectionPrefix}{connectionId}:groups";

    public static string GroupConnections(string group) => $"{GroupPrefix}{group}:conns";

    public static string GroupUsers(string group) => $"{GroupPrefix}{group}:users";

    public static string GroupNodes(string group) => $"{GroupPrefix}{group}:nodes";

    public static string StreamMeta(string stream) => $"hub:stream:{stream}:meta";

    public static string StreamLog(string stream) => $"hub:stream:{stream}:log";
}
