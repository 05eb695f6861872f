using Hub.Client;
using Hub.Server.Core;
using Hub.Server.Redis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Hub.Server.Presence;

/// <summary>
/// Cluster presence in Redis. Every change is one Lua script (one round trip) that keeps the
/// counters beside the member lists, so counts never need a scan and a snapshot never
/// transfers a large member list (user ids are capped at <see cref="PresenceLimits.MaxListedUsers"/>).
/// </summary>
internal sealed class RedisPresenceStore(
    RedisConnection redis,
    PreviousRunCleared previousRun,
    IOptions<ClusterOptions> cluster,
    IOptions<PresenceOptions> presenceOptions,
    TimeProvider time) : IPresenceStore
{
    private readonly string _nodeId = cluster.Value.NodeId;
    private readonly PresenceOptions _options = presenceOptions.Value;

    public Task AddConnectionAsync(ConnectionEntry connection, CancellationToken cancellationToken) =>
        previousRun.IsDone
            ? EvaluateAsync(RedisScripts.AddConnection,
                [RedisKeys.Connections, RedisKeys.Users, RedisKeys.NodeConnections(connection.Node)],
                [connection.ConnectionId, connection.Node, connection.User ?? ""],
                cancellationToken)
            : Task.FromException(new BackplaneUnavailableException(
                "The node has not yet cleared what its previous run left in presence (Redis was away); try again in a moment."));

    public async Task<IReadOnlyList<string>> RemoveConnectionAsync(string connectionId, CancellationToken cancellationToken)
    {
        var result = await EvaluateAsync(RedisScripts.RemoveConnection,
            [RedisKeys.Connections, RedisKeys.Users],
            [connectionId, RedisKeys.NodePrefix, RedisKeys.ConnectionPrefix, RedisKeys.GroupPrefix],
            cancellationToken);
        return (string[])result!;
    }

    public async Task<ConnectionEntry?> FindConnectionAsync(string connectionId, CancellationToken cancellationToken)
    {
        var entry = await RedisCalls.RunAsync(redis, 
            () => redis.Database.HashGetAsync(RedisKeys.Connections, connectionId, RedisCalls.Primary), cancellationToken);
        if (entry.IsNull)
        {
            return null;
        }

        var value = (string)entry!;
        var separator = value.IndexOf('\n');
        var user = value[(separator + 1)..];
        return new ConnectionEntry(connectionId, user.Length == 0 ? null : user, value[..separator]);
    }

    public async Task<JoinOutcome> JoinAsync(string group, string connectionId, int maxGroupsPerConnection, CancellationToken cancellationToken)
    {
        var result = await EvaluateAsync(RedisScripts.Join,
            [RedisKeys.Connections, RedisKeys.ConnectionGroups(connectionId), RedisKeys.GroupConnections(group),
             RedisKeys.GroupUsers(group), RedisKeys.GroupNodes(group)],
            [connectionId, group, maxGroupsPerConnection],
            cancellationToken);
        return (int)result switch
        {
            1 => JoinOutcome.Joined,
            0 => JoinOutcome.AlreadyMember,
            -2 => JoinOutcome.TooManyGroups,
            _ => JoinOutcome.UnknownConnection,
        };
    }

    public async Task<bool> LeaveAsync(string group, string connectionId, CancellationToken cancellationToken)
    {
        var result = await EvaluateAsync(RedisScripts.Leave,
            [RedisKeys.Connections, RedisKeys.ConnectionGroups(connectionId)],
            [connectionId, group, RedisKeys.GroupPrefix],
            cancellationToken);
        return (int)result == 1;
    }

    public Task<bool> IsMemberAsync(string group, string connectionId, CancellationToken cancellationToken) =>
        RedisCalls.RunAsync(redis, () => redis.Database.HashExistsAsync(RedisKeys.GroupConnections(group), connectionId, RedisCalls.Primary), cancellationToken);

    public async Task<PresenceSnapshot> GetSnapshotAsync(string? group, CancellationToken cancellationToken)
    {
        RedisResult result;
        if (group is null)
        {
            var oldestLive = (time.GetUtcNow() - _options.DeadAfter).ToUnixTimeMilliseconds();
            result = await EvaluateAsync(RedisScripts.HubSnapshot,
                [RedisKeys.Connections, RedisKeys.Users, RedisKeys.Nodes],
                [PresenceLimits.MaxListedUsers, RedisKeys.NodePrefix, oldestLive],
                cancellationToken);
        }
        else
        {
            result = await EvaluateAsync(RedisScripts.GroupSnapshot,
                [RedisKeys.GroupConnections(group), RedisKeys.GroupUsers(group), RedisKeys.GroupNodes(group)],
                [PresenceLimits.MaxListedUsers],
                cancellationToken);
        }

        var parts = (RedisResult[])result!;
        var nodeCounts = (RedisResult[])parts[3]!;
        var nodes = new List<NodePresence>(nodeCounts.Length / 2);
        for (var i = 0; i + 1 < nodeCounts.Length; i += 2)
        {
            nodes.Add(new NodePresence { Id = (string)nodeCounts[i]!, Connections = (long)nodeCounts[i + 1] });
        }

        return new PresenceSnapshot
        {
            Group = group,
            Connections = (long)parts[0],
            UserCount = (long)parts[1],
            Users = [.. ((string[])parts[2]!).Order(StringComparer.Ordinal)],
            Nodes = [.. nodes.OrderBy(n => n.Id, StringComparer.Ordinal)],
        };
    }

    // The registry is one hash: HLEN is O(1), whatever the number of connections.
    public Task<long> CountConnectionsAsync(CancellationToken cancellationToken) =>
        RedisCalls.RunAsync(redis, () => redis.Database.HashLengthAsync(RedisKeys.Connections), cancellationToken);

    /// <summary>Marks this node alive; the hub snapshot lists nodes that are not silent.</summary>
    public async Task<bool> HeartbeatAsync(CancellationToken cancellationToken) =>
        !await RedisCalls.RunAsync(redis, 
            () => redis.Database.SortedSetAddAsync(RedisKeys.Nodes, _nodeId, time.GetUtcNow().ToUnixTimeMilliseconds(), RedisCalls.Primary),
            cancellationToken);

    // A heartbeat from the beginning of time: silent at once, so presence lists the node no more
    // and the next sweep forgets it with anything it could not clear itself.
    public Task SignOffAsync(CancellationToken cancellationToken) =>
        RedisCalls.RunAsync(redis, () => redis.Database.SortedSetAddAsync(RedisKeys.Nodes, _nodeId, 0, RedisCalls.Primary), cancellationToken);

    public async Task<IReadOnlyList<string>> FindSilentNodesAsync(DateTimeOffset silentSince, CancellationToken cancellationToken)
    {
        var nodes = await RedisCalls.RunAsync(redis, 
            () => redis.Database.SortedSetRangeByScoreAsync(RedisKeys.Nodes, double.NegativeInfinity, silentSince.ToUnixTimeMilliseconds(),
                Exclude.Stop, take: 100, flags: RedisCalls.Primary),
            cancellationToken);
        return [.. nodes.Select(n => (string)n!)];
    }

    public async Task<IReadOnlyList<DepartedConnection>> PurgeNodeAsync(string node, DateTimeOffset? unlessAliveSince, int batch, CancellationToken cancellationToken)
    {
        var result = await EvaluateAsync(RedisScripts.PurgeNode,
            [RedisKeys.Connections, RedisKeys.Users, RedisKeys.Nodes],
            [node, batch, unlessAliveSince?.ToUnixTimeMilliseconds().ToString() ?? "", RedisKeys.NodePrefix, RedisKeys.ConnectionPrefix, RedisKeys.GroupPrefix],
            cancellationToken);

        // Flattened by the script: id, user, group count, groups..., id, ...
        var parts = (RedisResult[])result!;
        var departed = new List<DepartedConnection>();
        for (var i = 0; i < parts.Length;)
        {
            var id = (string)parts[i++]!;
            var user = (string)parts[i++]!;
            var count = (int)parts[i++];
            var groups = new string[count];
            for (var g = 0; g < count; g++)
            {
                groups[g] = (string)parts[i++]!;
            }

            departed.Add(new DepartedConnection(id, user.Length == 0 ? null : user, groups));
        }

        return departed;
    }

    private Task<RedisResult> EvaluateAsync(string script, RedisKey[] keys, RedisValue[] values, CancellationToken cancellationToken) =>
        RedisCalls.RunAsync(redis, () => redis.Database.ScriptEvaluateAsync(script, keys, values, RedisCalls.Primary), cancellationToken);
}
