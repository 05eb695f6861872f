using Hub.Client;
using Hub.Server.Core;
using Hub.Server.Redis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Hub.Server.Presence;

/// <summary>
/// Cluster presence in Redis, spread over <see cref="RedisKeys.Partitions"/> partitions so that it
/// runs on a Redis Cluster too: every script touches the keys of one slot (a connection's, a
/// user's or a group's partition). A change that spans two is two idempotent scripts run side by
/// side (about one round trip); each keeps its counters beside its member set and changes them only
/// when the membership changed, so a retry or a reordering leaves them right, and a snapshot never
/// transfers a large member list (user ids are capped at <see cref="PresenceLimits.MaxListedUsers"/>).
/// Global views read every partition in one pipelined batch: O(<see cref="RedisKeys.Partitions"/>).
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

    public Task AddConnectionAsync(ConnectionEntry connection, CancellationToken cancellationToken)
    {
        if (!previousRun.IsDone)
        {
            return Task.FromException(new BackplaneUnavailableException(
                "The node has not yet cleared what its previous run left in presence (Redis was away); try again in a moment."));
        }

        var id = connection.ConnectionId;
        var registered = EvaluateAsync(RedisScripts.ConnectionAdd, ScriptKeys.ConnectionAdd(id, connection.Node),
            [id, connection.Node, connection.User ?? ""], cancellationToken);
        return connection.User is { } user
            ? Task.WhenAll(registered, EvaluateAsync(RedisScripts.UserAdd, ScriptKeys.User(user), [id, connection.Node, user], cancellationToken))
            : registered;
    }

    public async Task<IReadOnlyList<string>> RemoveConnectionAsync(string connectionId, CancellationToken cancellationToken)
    {
        var partition = RedisKeys.PartitionOfConnection(connectionId);
        var record = (string[])(await EvaluateAsync(RedisScripts.ConnectionForget, ScriptKeys.ConnectionForget(connectionId),
            [connectionId, .. ForgetArguments(partition)], cancellationToken))!;
        if (record.Length == 0)
        {
            return [];
        }

        var departed = Departed(connectionId, record, 0, record.Length);
        await FinishAsync(partition, departed, cancellationToken);
        return departed.Groups;
    }

    public async Task<ConnectionEntry?> FindConnectionAsync(string connectionId, CancellationToken cancellationToken)
    {
        var entry = await RedisCalls.RunAsync(redis,
            () => redis.Database.HashGetAsync(RedisKeys.Registry(RedisKeys.PartitionOfConnection(connectionId)), connectionId, RedisCalls.Primary),
            cancellationToken);
        if (entry.IsNull)
        {
            return null;
        }

        var (node, user) = ParseEntry(entry!);
        return new ConnectionEntry(connectionId, user, node);
    }

    /// <summary>
    /// The connection's side (live, under its limit) and the group's side run side by side. When
    /// the connection's side refuses, or either fails, what the other did is taken back (both are
    /// idempotent), so presence says what the caller is told. Either side finding the membership
    /// new makes it a join: a retry after a half-done attempt still announces the member.
    /// </summary>
    public async Task<JoinOutcome> JoinAsync(string group, ConnectionEntry connection, int maxGroupsPerConnection, CancellationToken cancellationToken)
    {
        var id = connection.ConnectionId;
        var connectionSide = EvaluateAsync(RedisScripts.ConnectionJoin, ScriptKeys.ConnectionJoin(id), [id, group, maxGroupsPerConnection], cancellationToken);
        var groupSide = EvaluateAsync(RedisScripts.GroupJoin, ScriptKeys.Group(group), [id, connection.Node, connection.User ?? ""], cancellationToken);
        try
        {
            await Task.WhenAll(connectionSide, groupSide);
        }
        catch
        {
            await UndoJoinAsync(group, id, connectionSide, groupSide);
            throw;
        }

        var (connectionResult, added) = ((int)connectionSide.Result, (int)groupSide.Result == 1);
        if (connectionResult < 0)
        {
            await UndoJoinAsync(group, id, connectionSide, groupSide);
        }

        return connectionResult switch
        {
            1 => JoinOutcome.Joined,
            0 => added ? JoinOutcome.Joined : JoinOutcome.AlreadyMember,
            -2 => JoinOutcome.TooManyGroups,
            _ => JoinOutcome.UnknownConnection,
        };
    }

    // Best effort, without the caller's cancellation: the join's own failure or refusal is what the caller hears.
    private async Task UndoJoinAsync(string group, string connectionId, Task<RedisResult> connectionSide, Task<RedisResult> groupSide)
    {
        try
        {
            if (groupSide.IsCompletedSuccessfully && (int)groupSide.Result == 1)
            {
                await LeaveGroupSideAsync(group, connectionId, CancellationToken.None);
            }

            if (connectionSide.IsCompletedSuccessfully && (int)connectionSide.Result == 1)
            {
                await EvaluateAsync(RedisScripts.ConnectionLeave, ScriptKeys.ConnectionLeave(connectionId), [group], CancellationToken.None);
            }
        }
        catch (BackplaneUnavailableException)
        {
            // Redis is away: the caller was told the join failed, and a retry finds either side done.
        }
    }

    // Either side finding the member makes it a leave, so a retry after a half-done attempt still announces it.
    public async Task<bool> LeaveAsync(string group, string connectionId, CancellationToken cancellationToken)
    {
        var connectionSide = EvaluateAsync(RedisScripts.ConnectionLeave, ScriptKeys.ConnectionLeave(connectionId), [group], cancellationToken);
        var groupSide = LeaveGroupSideAsync(group, connectionId, cancellationToken);
        await Task.WhenAll(connectionSide, groupSide);
        return (int)connectionSide.Result == 1 || (int)groupSide.Result == 1;
    }

    public Task<bool> IsMemberAsync(string group, string connectionId, CancellationToken cancellationToken) =>
        RedisCalls.RunAsync(redis, () => redis.Database.HashExistsAsync(RedisKeys.GroupConnections(group), connectionId, RedisCalls.Primary), cancellationToken);

    public async Task<PresenceSnapshot> GetSnapshotAsync(string? group, CancellationToken cancellationToken)
    {
        if (group is null)
        {
            return await GetHubSnapshotAsync(cancellationToken);
        }

        var parts = (RedisResult[])(await EvaluateAsync(RedisScripts.GroupSnapshot, ScriptKeys.Group(group), [PresenceLimits.MaxListedUsers], cancellationToken))!;
        var nodeCounts = (RedisResult[])parts[3]!;
        var nodes = new List<NodePresence>(nodeCounts.Length / 2);
        for (var i = 0; i + 1 < nodeCounts.Length; i += 2)
        {
            nodes.Add(new NodePresence { Id = (string)nodeCounts[i]!, Connections = (long)nodeCounts[i + 1] });
        }

        return Snapshot(group, (long)parts[0], (long)parts[1], (string[])parts[2]!, nodes);
    }

    /// <summary>
    /// Every partition's counts in one pipelined batch; then, only when there are users, a capped
    /// sample of their ids, spread over the partitions that hold some in proportion to their share.
    /// </summary>
    private async Task<PresenceSnapshot> GetHubSnapshotAsync(CancellationToken cancellationToken)
    {
        var oldestLive = OldestLiveBeat();
        var (live, partitions) = await RedisCalls.RunAsync(redis, async () =>
        {
            var database = redis.Database;
            var batch = database.CreateBatch();
            var nodes = batch.SortedSetRangeByScoreAsync(RedisKeys.Nodes, oldestLive, double.PositiveInfinity, flags: RedisCalls.Primary);
            var counts = Enumerable.Range(0, RedisKeys.Partitions).Select(p => (
                Connections: batch.HashLengthAsync(RedisKeys.Registry(p), RedisCalls.Primary),
                Users: batch.SetLengthAsync(RedisKeys.Users(p), RedisCalls.Primary),
                Nodes: batch.HashGetAllAsync(RedisKeys.NodeCounts(p), RedisCalls.Primary))).ToArray();
            batch.Execute();
            await Task.WhenAll(counts.SelectMany(c => new Task[] { c.Connections, c.Users, c.Nodes }).Append(nodes));
            return (nodes.Result, counts.Select(c => (Connections: c.Connections.Result, Users: c.Users.Result, Nodes: c.Nodes.Result)).ToArray());
        }, cancellationToken);

        var perNode = live.ToDictionary(n => (string)n!, _ => 0L, StringComparer.Ordinal);
        foreach (var entry in partitions.SelectMany(p => p.Nodes))
        {
            if (perNode.ContainsKey((string)entry.Name!))
            {
                perNode[(string)entry.Name!] += (long)entry.Value;
            }
        }

        var userCount = partitions.Sum(p => p.Users);
        var users = userCount == 0 ? [] : await SampleUsersAsync(partitions.Select(p => p.Users).ToArray(), userCount, cancellationToken);
        return Snapshot(null, partitions.Sum(p => p.Connections), userCount, users,
            perNode.Select(n => new NodePresence { Id = n.Key, Connections = n.Value }));
    }

    private async Task<string[]> SampleUsersAsync(long[] perPartition, long total, CancellationToken cancellationToken)
    {
        var cap = PresenceLimits.MaxListedUsers;
        var members = await RedisCalls.RunAsync(redis, async () =>
        {
            var batch = redis.Database.CreateBatch();
            var reads = perPartition
                .Select((count, p) => count == 0 ? null
                    : total <= cap ? batch.SetMembersAsync(RedisKeys.Users(p), RedisCalls.Primary)
                    // Rounded up, so the shares add up to at least the cap.
                    : batch.SetRandomMembersAsync(RedisKeys.Users(p), (count * cap + total - 1) / total, RedisCalls.Primary))
                .OfType<Task<RedisValue[]>>().ToArray();
            batch.Execute();
            return await Task.WhenAll(reads);
        }, cancellationToken);
        return [.. members.SelectMany(m => m).Select(m => (string)m!).Take(cap)];
    }

    private static PresenceSnapshot Snapshot(string? group, long connections, long userCount, IEnumerable<string> users, IEnumerable<NodePresence> nodes) => new()
    {
        Group = group,
        Connections = connections,
        UserCount = userCount,
        Users = [.. users.Order(StringComparer.Ordinal)],
        Nodes = [.. nodes.OrderBy(n => n.Id, StringComparer.Ordinal)],
    };

    // Every registry's HLEN (each O(1)) in one pipelined batch: cheap enough for every metrics scrape.
    public Task<long> CountConnectionsAsync(CancellationToken cancellationToken) =>
        RedisCalls.RunAsync(redis, async () =>
        {
            var batch = redis.Database.CreateBatch();
            var counts = Enumerable.Range(0, RedisKeys.Partitions).Select(p => batch.HashLengthAsync(RedisKeys.Registry(p), RedisCalls.Primary)).ToArray();
            batch.Execute();
            return (await Task.WhenAll(counts)).Sum();
        }, cancellationToken);

    public Task<long> CountLiveNodesAsync(CancellationToken cancellationToken) =>
        RedisCalls.RunAsync(redis,
            () => redis.Database.SortedSetLengthAsync(RedisKeys.Nodes, OldestLiveBeat(), double.PositiveInfinity, flags: RedisCalls.Primary),
            cancellationToken);

    private long OldestLiveBeat() => (time.GetUtcNow() - _options.DeadAfter).ToUnixTimeMilliseconds();

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

    /// <summary>
    /// One batch: the node's heartbeat is read first (a node that beat again is left alone), then
    /// every partition gives up to its share of <paramref name="batch"/> of the node's connections,
    /// side by side; each is then taken out of its groups and user. None left: the node is forgotten
    /// (unless it beat again meanwhile).
    /// </summary>
    public async Task<IReadOnlyList<DepartedConnection>> PurgeNodeAsync(string node, DateTimeOffset? unlessAliveSince, int batch, CancellationToken cancellationToken)
    {
        if (unlessAliveSince is { } since && await BeatSinceAsync(node, since, cancellationToken))
        {
            return [];
        }

        var share = Math.Max(1, batch / RedisKeys.Partitions);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var popped = await Task.WhenAll(Enumerable.Range(0, RedisKeys.Partitions).Select(async p => (Partition: p,
            Records: (RedisResult[])(await EvaluateAsync(RedisScripts.PurgeBatch, ScriptKeys.PurgeBatch(p, node),
                [share, .. ForgetArguments(p, now)], cancellationToken))!)));
        var departed = await FinishAllAsync(popped, cancellationToken);

        if (departed.Count == 0 && unlessAliveSince is { } aliveSince)
        {
            await EvaluateAsync(RedisScripts.NodeForget, ScriptKeys.NodeForget(), [node, aliveSince.ToUnixTimeMilliseconds()], cancellationToken);
        }

        return departed;
    }

    /// <summary>
    /// Finishes forgets whose caller stopped part-way (its node died between the steps): outbox
    /// entries older than <paramref name="overdue"/>, at most <paramref name="batch"/> per partition.
    /// </summary>
    public async Task<IReadOnlyList<DepartedConnection>> FinishOverdueAsync(TimeSpan overdue, int batch, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var claimed = await Task.WhenAll(Enumerable.Range(0, RedisKeys.Partitions).Select(async p => (Partition: p,
            Records: (RedisResult[])(await EvaluateAsync(RedisScripts.LeavingClaim, ScriptKeys.LeavingClaim(p),
                [(now - overdue).ToUnixTimeMilliseconds(), now.ToUnixTimeMilliseconds(), batch], cancellationToken))!)));
        return await FinishAllAsync(claimed, cancellationToken);
    }

    private async Task<bool> BeatSinceAsync(string node, DateTimeOffset since, CancellationToken cancellationToken)
    {
        var beat = await RedisCalls.RunAsync(redis, () => redis.Database.SortedSetScoreAsync(RedisKeys.Nodes, node, RedisCalls.Primary), cancellationToken);
        return beat >= since.ToUnixTimeMilliseconds();
    }

    // Flattened by the scripts: id, count, node, user, groups..., id, ...
    private async Task<List<DepartedConnection>> FinishAllAsync((int Partition, RedisResult[] Records)[] partitions, CancellationToken cancellationToken)
    {
        var departed = new List<DepartedRecord>();
        var finishing = new List<Task>();
        foreach (var (partition, records) in partitions)
        {
            var values = records.Select(r => (string)r!).ToArray();
            for (var i = 0; i < values.Length;)
            {
                var id = values[i];
                var count = int.Parse(values[i + 1]);
                var connection = Departed(id, values, i + 2, count);
                departed.Add(connection);
                finishing.Add(FinishAsync(partition, connection, cancellationToken));
                i += 2 + count;
            }
        }

        await Task.WhenAll(finishing);
        return [.. departed.Select(d => new DepartedConnection(d.ConnectionId, d.User, d.Groups))];
    }

    /// <summary>The steps of a forget in other slots: out of each group and of the user, then the outbox entry goes.</summary>
    private async Task FinishAsync(int partition, DepartedRecord connection, CancellationToken cancellationToken)
    {
        var id = connection.ConnectionId;
        var steps = connection.Groups.Select(group => LeaveGroupSideAsync(group, id, cancellationToken)).ToList();
        if (connection.User is { } user)
        {
            steps.Add(EvaluateAsync(RedisScripts.UserRemove, ScriptKeys.User(user), [id, connection.Node, user], cancellationToken));
        }

        await Task.WhenAll(steps);
        await RedisCalls.RunAsync(redis, () => redis.Database.HashDeleteAsync(RedisKeys.Leaving(partition), id, RedisCalls.Primary), cancellationToken);
    }

    private Task<RedisResult> LeaveGroupSideAsync(string group, string connectionId, CancellationToken cancellationToken) =>
        EvaluateAsync(RedisScripts.GroupLeave, ScriptKeys.Group(group), [connectionId], cancellationToken);

    private RedisValue[] ForgetArguments(int partition) => ForgetArguments(partition, time.GetUtcNow().ToUnixTimeMilliseconds());

    private static RedisValue[] ForgetArguments(int partition, long now) =>
        [RedisKeys.NodeSetPrefix(partition), RedisKeys.GroupSetPrefix(partition), RedisKeys.GroupSetSuffix, now];

    // A forget record: node, user ('' = anonymous), groups...
    private static DepartedRecord Departed(string connectionId, string[] values, int start, int count) =>
        new(connectionId, values[start], values[start + 1].Length == 0 ? null : values[start + 1], values[(start + 2)..(start + count)]);

    private static (string Node, string? User) ParseEntry(string entry)
    {
        var separator = entry.IndexOf('\n');
        var user = entry[(separator + 1)..];
        return (entry[..separator], user.Length == 0 ? null : user);
    }

    private Task<RedisResult> EvaluateAsync(string script, RedisKey[] keys, RedisValue[] values, CancellationToken cancellationToken) =>
        RedisCalls.RunAsync(redis, () => redis.Database.ScriptEvaluateAsync(script, keys, values, RedisCalls.Primary), cancellationToken);

    private sealed record DepartedRecord(string ConnectionId, string Node, string? User, string[] Groups);
}
