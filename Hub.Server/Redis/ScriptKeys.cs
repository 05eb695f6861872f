using StackExchange.Redis;

namespace Hub.Server.Redis;

/// <summary>
/// The KEYS of each script call, built here once for the stores that make the calls and for the
/// test that holds every call to one hash slot (RedisKeyLayoutTests): the test reads the same
/// lists the calls send, so the two cannot drift apart.
/// </summary>
internal static class ScriptKeys
{
    /// <summary>
    /// publish.lua: the stream's meta and log, and the registry of the stream's partition, read
    /// when a connection must be live (then the stream is that connection's own, so one slot).
    /// </summary>
    /// <param name="stream">The message's stream; for an envelope without a message, <c>connection:id</c> of the required connection or <c>all</c>.</param>
    /// <param name="requiredConnectionId">The connection that must be live for the publish to happen, if any.</param>
    /// <exception cref="ArgumentException">The required connection's partition is not the stream's.</exception>
    public static RedisKey[] Publish(string stream, string? requiredConnectionId)
    {
        if (requiredConnectionId is not null && stream != "connection:" + requiredConnectionId)
        {
            throw new ArgumentException($"A publish that needs connection '{requiredConnectionId}' live must be on its stream, not '{stream}': its check reads that stream's partition.", nameof(stream));
        }

        // The broadcast stream has no registry in its slot, and needs none: nothing is required of it.
        return stream == "all"
            ? [RedisKeys.StreamMeta(stream), RedisKeys.StreamLog(stream)]
            : [RedisKeys.StreamMeta(stream), RedisKeys.StreamLog(stream), RedisKeys.Registry(RedisKeys.PartitionOf(stream))];
    }

    public static RedisKey[] HistoryRead(string stream) => [RedisKeys.StreamMeta(stream), RedisKeys.StreamLog(stream)];

    public static RedisKey[] ConnectionAdd(string connectionId, string node)
    {
        var p = RedisKeys.PartitionOfConnection(connectionId);
        return [RedisKeys.Registry(p), RedisKeys.NodeConnections(p, node), RedisKeys.NodeCounts(p)];
    }

    public static RedisKey[] ConnectionJoin(string connectionId) =>
        [RedisKeys.Registry(RedisKeys.PartitionOfConnection(connectionId)), RedisKeys.ConnectionGroups(connectionId)];

    public static RedisKey[] ConnectionLeave(string connectionId) => [RedisKeys.ConnectionGroups(connectionId)];

    public static RedisKey[] ConnectionForget(string connectionId) => PartitionForget(RedisKeys.PartitionOfConnection(connectionId));

    /// <summary>presence_purge_batch.lua: one partition's forget keys and the node's set there.</summary>
    public static RedisKey[] PurgeBatch(int partition, string node) =>
        [.. PartitionForget(partition), RedisKeys.NodeConnections(partition, node)];

    public static RedisKey[] LeavingClaim(int partition) => [RedisKeys.Leaving(partition)];

    public static RedisKey[] User(string user) => [RedisKeys.UserConnections(user), RedisKeys.UserNodes(user), RedisKeys.UsersOf(user)];

    /// <summary>group join, leave and snapshot.</summary>
    public static RedisKey[] Group(string group) => [RedisKeys.GroupConnections(group), RedisKeys.GroupUsers(group), RedisKeys.GroupNodes(group)];

    public static RedisKey[] NodeForget() => [RedisKeys.Nodes];

    private static RedisKey[] PartitionForget(int partition) =>
        [RedisKeys.Registry(partition), RedisKeys.NodeCounts(partition), RedisKeys.Leaving(partition)];
}
