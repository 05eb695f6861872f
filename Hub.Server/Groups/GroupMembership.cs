using Hub.Client;
using Hub.Server.Backplane;
using Hub.Server.Connections;
using Hub.Server.Core;
using Hub.Server.History;
using Hub.Server.Limits;
using Hub.Server.Presence;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;

namespace Hub.Server.Groups;

/// <summary>
/// Joins and leaves: local delivery membership, cluster presence, and the
/// <c>MemberJoined</c>/<c>MemberLeft</c> events to the other members on every node. A connection
/// joins or leaves itself through the hub, or is added or removed by the HTTP API from any node.
/// </summary>
internal sealed partial class GroupMembership(
    ILocalClients clients,
    LocalStreams streams,
    IPresenceStore presence,
    IHistoryStore history,
    IBroker broker,
    IOptions<LimitsOptions> limits,
    IOptions<ClusterOptions> cluster,
    ILogger<GroupMembership> logger)
{
    private readonly int _maxGroups = limits.Value.MaxGroupsPerConnection;
    private readonly string _nodeId = cluster.Value.NodeId;

    public async Task<JoinResult> JoinAsync(string connectionId, string? user, string group, CancellationToken cancellationToken)
    {
        NameRules.ValidateGroup(group);
        var local = OnThisNode(connectionId, group, join: true, cancellationToken);

        // Local membership came before the position is read: every message after that position
        // is published after that point and therefore delivered to the joiner.
        var position = await JoinCoreAsync(new ConnectionEntry(connectionId, user, _nodeId), group, local,
            () => history.GetPositionAsync(Target.Group(group).Stream, cancellationToken), cancellationToken);
        Seed(position);
        return new JoinResult { Group = group, Epoch = position.Epoch, Offset = position.Offset };
    }

    /// <summary>
    /// Gives the cursor of a stream a local connection now receives (its user's, at connect) the
    /// stream's position, when the node knows none yet: read after the local membership, as a join's
    /// is, so what is at or before it was published before and is not delivered as new, and a
    /// message lost after it can be caught up from history.
    /// </summary>
    public async Task SeedAsync(string stream, CancellationToken cancellationToken)
    {
        if (streams.Find(stream) is { Positioned: false })
        {
            Seed(await history.GetPositionAsync(stream, cancellationToken));
        }
    }

    private void Seed(StreamPosition position)
    {
        if (streams.Find(position.Stream) is { } cursor)
        {
            lock (cursor.Gate)
            {
                cursor.Seed(position.Epoch, position.Offset);
            }
        }
    }

    public async Task LeaveAsync(string connectionId, string? user, string group, CancellationToken cancellationToken)
    {
        NameRules.ValidateGroup(group);
        await LeaveCoreAsync(new ConnectionEntry(connectionId, user, _nodeId), group, OnThisNode(connectionId, group, join: false, cancellationToken), cancellationToken);
    }

    /// <summary>
    /// <see cref="JoinAsync"/> for a connection on any node (the HTTP API). Presence and the
    /// events are cluster-wide and done here; the local membership is changed by the node that
    /// holds the connection, through a bus command that every later message comes after.
    /// </summary>
    /// <remarks>
    /// The connection's departure on its node is not ordered with this request, and presence takes
    /// a join in two writes (the connection's side, then the group's, in separate slots): a departure
    /// between them takes the group side out before it lands, which would leave a member no
    /// connection ends. So the connection is looked up once more after the join: gone, the join
    /// fails and is undone (a departure after the lookup finds the group on the connection's side and
    /// takes the member out itself).
    /// </remarks>
    public async Task AddAsync(string connectionId, string group, CancellationToken cancellationToken)
    {
        NameRules.ValidateGroup(group);
        var connection = await FindConnectionAsync(connectionId, cancellationToken);
        await JoinCoreAsync(connection, group, ByCommand(connection, group, join: true, cancellationToken),
            async () => await presence.FindConnectionAsync(connectionId, cancellationToken) ?? throw UnknownConnection(connectionId), cancellationToken);
    }

    /// <summary><see cref="LeaveAsync"/> for a connection on any node (the HTTP API); see <see cref="AddAsync"/>.</summary>
    public async Task RemoveAsync(string connectionId, string group, CancellationToken cancellationToken)
    {
        NameRules.ValidateGroup(group);
        var connection = await FindConnectionAsync(connectionId, cancellationToken);
        await LeaveCoreAsync(connection, group, ByCommand(connection, group, join: false, cancellationToken), cancellationToken);
    }

    // A join is presence, then local membership, then MemberJoined, then whatever the caller
    // needs (then). When a later step fails after presence took a new member, the caller is told
    // the join failed, so the steps done are undone: presence then says what the caller was
    // told, and a retry joins afresh, MemberJoined included (a retry of a join presence still
    // held would find the member there already and send no MemberJoined).
    private async Task<TResult> JoinCoreAsync<TResult>(
        ConnectionEntry connection, string group, LocalChange local, Func<Task<TResult>> then, CancellationToken cancellationToken)
    {
        var (connectionId, user) = (connection.ConnectionId, connection.User);
        var outcome = await presence.JoinAsync(group, connection, _maxGroups, cancellationToken);
        switch (outcome)
        {
            case JoinOutcome.TooManyGroups:
                throw HubRequestException.Invalid(
                    $"The connection is already in {_maxGroups} groups, the limit (Hub:Limits:MaxGroupsPerConnection); leave one first.");
            case JoinOutcome.UnknownConnection:
                throw UnknownConnection(connectionId);
        }

        var (applied, announced) = (false, false);
        try
        {
            await local.Apply();
            applied = true;
            if (outcome == JoinOutcome.Joined)
            {
                await PublishEventAsync(EnvelopeKind.MemberJoined, group, connectionId, user, cancellationToken);
                announced = true;
            }

            return await then();
        }
        catch (Exception ex) when (outcome == JoinOutcome.Joined)
        {
            await UndoAsync(connectionId, group, "joining", local, applied, ex,
                () => presence.LeaveAsync(group, connectionId, CancellationToken.None),
                announced ? () => PublishEventAsync(EnvelopeKind.MemberLeft, group, connectionId, user, CancellationToken.None) : null);
            throw;
        }
    }

    // Local membership first: once it was changed, presence keeps what it says unless the change
    // is taken back, so presence never disagrees with what the connection's node delivers. A
    // local change that failed is taken back too, in case it took effect all the same (a
    // timeout), but presence is put right whether or not that works. The other members are told
    // the opposite only if they were told of the change.
    private async Task UndoAsync(string connectionId, string group, string what, LocalChange local, bool applied, Exception failure,
        Func<Task> restorePresence, Func<Task>? retractEvent)
    {
        try
        {
            if (applied)
            {
                await local.Revert();
            }
            else
            {
                await TryAsync(local.Revert);
            }

            await restorePresence();
            if (retractEvent is not null)
            {
                await retractEvent();
            }

            Log.ChangeUndone(logger, connectionId, what, group, failure.Message);
        }
        catch (Exception ex)
        {
            Log.UndoFailed(logger, connectionId, what, group, ex);
        }
    }

    // The mirror of a join: presence, local membership, MemberLeft; undone in the same way.
    private async Task LeaveCoreAsync(ConnectionEntry connection, string group, LocalChange local, CancellationToken cancellationToken)
    {
        var (connectionId, user) = (connection.ConnectionId, connection.User);
        var left = await presence.LeaveAsync(group, connectionId, cancellationToken);
        var (applied, announced) = (false, false);
        try
        {
            await local.Apply();
            applied = true;
            if (left)
            {
                await PublishEventAsync(EnvelopeKind.MemberLeft, group, connectionId, user, cancellationToken);
                announced = true;
            }
        }
        catch (Exception ex) when (left)
        {
            await UndoAsync(connectionId, group, "leaving", local, applied, ex,
                () => presence.JoinAsync(group, connection, maxGroupsPerConnection: 0, CancellationToken.None),
                announced ? () => PublishEventAsync(EnvelopeKind.MemberJoined, group, connectionId, user, CancellationToken.None) : null);
            throw;
        }
    }

    private async Task<ConnectionEntry> FindConnectionAsync(string connectionId, CancellationToken cancellationToken)
    {
        NameRules.ValidateConnectionId(connectionId);
        return await presence.FindConnectionAsync(connectionId, cancellationToken) ?? throw UnknownConnection(connectionId);
    }

    // An AddToGroup is published only if presence still holds the connection in the group (which
    // the join wrote just before; a connection that went since is out of it), so it is never lost
    // silently. A RemoveFromGroup needs no check: a connection that went is in no group of its node.
    // (The check reads the group's members, in the slot the command is published in: RedisBroker.)
    private Task PublishCommandAsync(EnvelopeKind kind, ConnectionEntry connection, string group, CancellationToken cancellationToken) =>
        broker.PublishAsync(Envelope.ForConnectionCommand(kind, connection.ConnectionId, group, connection.Node),
            requiredConnectionId: kind == EnvelopeKind.AddToGroup ? connection.ConnectionId : null, turn: null, cancellationToken);

    private static HubRequestException UnknownConnection(string connectionId) =>
        HubRequestException.NotFound($"No connection with id '{connectionId}' is connected to the hub.");

    private Task PublishEventAsync(EnvelopeKind kind, string group, string connectionId, string? user, CancellationToken cancellationToken) =>
        broker.PublishAsync(Envelope.ForPresenceEvent(kind, group, connectionId, user), requiredConnectionId: null, turn: null, cancellationToken);

    // A join's change to local membership (or, turned round, a leave's), taken back without the
    // caller's cancellation: on this node, for a hub call of its own connection (the token is the
    // connection's abort)... A connection that closed while presence took its join is not added:
    // its departure runs once it is aborted, and may have taken it out of presence before the join's
    // group side landed (the two sides are separate writes), which would leave a member no
    // connection ends; the join fails instead, and its undo takes the group side back.
    private LocalChange OnThisNode(string connectionId, string group, bool join, CancellationToken cancellationToken) =>
        LocalChange.For(
            token =>
            {
                token.ThrowIfCancellationRequested();
                return clients.AddToGroupAsync(connectionId, group, token);
            },
            token => clients.RemoveFromGroupAsync(connectionId, group, token),
            join, cancellationToken);

    // ...or by a bus command to whichever node holds the connection (the HTTP API).
    private LocalChange ByCommand(ConnectionEntry connection, string group, bool join, CancellationToken cancellationToken) =>
        LocalChange.For(
            token => PublishCommandAsync(EnvelopeKind.AddToGroup, connection, group, token),
            token => PublishCommandAsync(EnvelopeKind.RemoveFromGroup, connection, group, token),
            join, cancellationToken);

    private static async Task TryAsync(Func<Task> step)
    {
        try
        {
            await step();
        }
        catch (Exception)
        {
            // Best effort: the step's outcome is not needed.
        }
    }

    /// <summary>How a join or a leave changes the connection's membership on its node, and how that is taken back.</summary>
    private sealed record LocalChange(Func<Task> Apply, Func<Task> Revert)
    {
        public static LocalChange For(Func<CancellationToken, Task> add, Func<CancellationToken, Task> remove, bool join, CancellationToken cancellationToken) =>
            join
                ? new(() => add(cancellationToken), () => remove(CancellationToken.None))
                : new(() => remove(cancellationToken), () => add(CancellationToken.None));
    }

    private static partial class Log
    {
        [LoggerMessage(5, LogLevel.Information, "Connection {ConnectionId} {What} {Group} failed part way ({Reason}); what was done of it is undone.")]
        public static partial void ChangeUndone(ILogger logger, string connectionId, string what, string group, string reason);

        [LoggerMessage(6, LogLevel.Warning, "Connection {ConnectionId} {What} {Group} failed part way, and undoing it failed too: presence may not match the group's delivery for it.")]
        public static partial void UndoFailed(ILogger logger, string connectionId, string what, string group, Exception exception);
    }
}
