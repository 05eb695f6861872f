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
    /// publish.lua: the stream's meta and log, and the hash that says whether a required
    /// connection is there, in the same slot: for a connection's stream its partition's registry
    /// (is it live), for a group's stream the group's members (is it a member: the group commands
    /// of the HTTP API travel in their group's slot, see RedisBroker).
    /// </summary>
    /// <param name="stream">The stream whose slot the publish runs in.</param>
    /// <param name="requiredConnectionId">The connection that must be there for the publish to happen, if any.</param>
    /// <exception cref="ArgumentException">A required connection on a stream that is neither its own nor a group's.</exception>
    public static RedisKey[] Publish(string stream, string? requiredConnectionId)
    {
        RedisKey[] history = [RedisKeys.StreamMeta(stream), RedisKeys.StreamLog(stream)];
        if (requiredConnectionId is null)
        {
            return history;
        }

        if (stream == "connection:" + requiredConnectionId)
        {
            return [.. history, RedisKeys.Registry(RedisKeys.PartitionOf(stream))];
        }

        return stream.StartsWith("group:", StringComparison.Ordinal)
            ? [.. history, RedisKeys.GroupConnections(stream["group:".Length..])]
            : throw new ArgumentException($"A publish that needs connection '{requiredConnectionId}' there must be on its stream or a group's, not '{stream}': the check reads that slot.", nameof(stream));
    }

    /// <summary>
    /// publish.lua with interest routing (a Redis Cluster): <see cref="Publish"/>'s keys with the third
    /// always there (the interest key when no connection is required), then the key that says which
    /// nodes have a recipient, and the partition's channel sequences; all in the stream's slot. The
    /// interest is a group's or a user's node counts, the registry for a connection's stream, and a
    /// group's members for a command to one of them (<paramref name="commandConnectionId"/>).
    /// </summary>
    public static RedisKey[] PublishRouted(string stream, string? requiredConnectionId, string? commandConnectionId)
    {
        var keys = Publish(stream, requiredConnectionId);
        if (stream == "all")
        {
            return [.. keys, keys[0], keys[0], RedisKeys.BusSequence];
        }

        var interest = stream.Split(':', 2) switch
        {
            ["group", var group] when commandConnectionId is not null => RedisKeys.GroupConnections(group),
            ["group", var group] => RedisKeys.GroupNodes(group),
            ["user", var user] => RedisKeys.UserNodes(user),
            ["connection", _] => RedisKeys.Registry(RedisKeys.PartitionOf(stream)),
            _ => throw new ArgumentException($"'{stream}' is not a stream a publish can be routed on.", nameof(stream)),
        };
        return [.. keys[..2], keys.Length > 2 ? keys[2] : interest, interest, RedisKeys.ChannelSequences(RedisKeys.PartitionOf(stream))];
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
