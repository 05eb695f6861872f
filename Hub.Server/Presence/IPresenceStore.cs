using Hub.Client;

namespace Hub.Server.Presence;

/// <summary>
/// Who is online, cluster-wide: the registry of live connections (which ids exist, on which
/// node, for which user) and group membership, with counts kept as they change so a snapshot
/// never has to list everything.
/// </summary>
internal interface IPresenceStore
{
    Task AddConnectionAsync(ConnectionEntry connection, CancellationToken cancellationToken);

    /// <summary>Forgets a connection and its group memberships; returns the groups it was in (none if unknown).</summary>
    Task<IReadOnlyList<string>> RemoveConnectionAsync(string connectionId, CancellationToken cancellationToken);

    Task<ConnectionEntry?> FindConnectionAsync(string connectionId, CancellationToken cancellationToken);

    /// <summary>
    /// Puts a live connection in a group. <paramref name="connection"/> names its node and user, as
    /// its node knows them or <see cref="FindConnectionAsync"/> found them: the group's records
    /// are written beside the connection's check, not after it.
    /// </summary>
    Task<JoinOutcome> JoinAsync(string group, ConnectionEntry connection, int maxGroupsPerConnection, CancellationToken cancellationToken);

    /// <summary>Returns false when the connection was not in the group.</summary>
    Task<bool> LeaveAsync(string group, string connectionId, CancellationToken cancellationToken);

    Task<bool> IsMemberAsync(string group, string connectionId, CancellationToken cancellationToken);

    /// <summary>
    /// Tells the cluster this node is alive. False when the cluster did not know the node any
    /// more: its first beat, or presence lost it (Redis restarted empty, or the node was counted dead).
    /// </summary>
    Task<bool> HeartbeatAsync(CancellationToken cancellationToken);

    /// <summary>A clean stop: the node counts as gone at once, and the next sweep clears whatever it left.</summary>
    Task SignOffAsync(CancellationToken cancellationToken);

    /// <summary>Nodes whose last heartbeat is older than <paramref name="silentSince"/>.</summary>
    Task<IReadOnlyList<string>> FindSilentNodesAsync(DateTimeOffset silentSince, CancellationToken cancellationToken);

    /// <summary>
    /// Forgets about <paramref name="batch"/> connections of a node and returns them; call again
    /// until it returns none (then the node is forgotten too). Nothing when the node beat again
    /// after <paramref name="unlessAliveSince"/>. Null <paramref name="unlessAliveSince"/> purges
    /// regardless: a node clearing what its previous run left.
    /// </summary>
    Task<IReadOnlyList<DepartedConnection>> PurgeNodeAsync(string node, DateTimeOffset? unlessAliveSince, int batch, CancellationToken cancellationToken);

    /// <summary>
    /// Finishes the forgets that a node began and did not end (it died between their steps, which
    /// a store that is not one atomic step has): connections begun longer than
    /// <paramref name="overdue"/> ago, returned so their departure is announced.
    /// </summary>
    Task<IReadOnlyList<DepartedConnection>> FinishOverdueAsync(TimeSpan overdue, int batch, CancellationToken cancellationToken);

    /// <summary>Presence of a group, or of the whole hub when <paramref name="group"/> is null.</summary>
    Task<PresenceSnapshot> GetSnapshotAsync(string? group, CancellationToken cancellationToken);

    /// <summary>
    /// Connections in the whole cluster: the hub snapshot's count alone, cheap enough for
    /// every metrics scrape. Like the snapshot, it still holds a dead node's connections until they are purged.
    /// </summary>
    Task<long> CountConnectionsAsync(CancellationToken cancellationToken);

    /// <summary>Nodes whose heartbeat is recent enough to count them alive, as the hub snapshot lists them.</summary>
    Task<long> CountLiveNodesAsync(CancellationToken cancellationToken);
}
