using Hub.Client;
using Hub.Server.Backplane;
using Hub.Server.History;
using Hub.Server.Hubs;
using Hub.Server.Limits;
using Hub.Server.Messaging;
using Hub.Server.Presence;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;

namespace Hub.Server.Groups;

/// <summary>
/// Joins and leaves of this node's connections: local delivery membership, cluster presence,
/// and the <c>MemberJoined</c>/<c>MemberLeft</c> events to the other members on every node.
/// </summary>
internal sealed partial class GroupMembership(
    HubLifetimeManager<RealtimeHub> clients,
    IPresenceStore presence,
    IHistoryStore history,
    IBroker broker,
    IOptions<LimitsOptions> limits,
    ILogger<GroupMembership> logger)
{
    private readonly int _maxGroups = limits.Value.MaxGroupsPerConnection;

    public async Task<JoinResult> JoinAsync(string connectionId, string? user, string group, CancellationToken cancellationToken)
    {
        InputRules.ValidateGroup(group);

        var outcome = await presence.JoinAsync(group, connectionId, _maxGroups, cancellationToken);
        switch (outcome)
        {
            case JoinOutcome.TooManyGroups:
                throw HubRequestException.Invalid(
                    $"The connection is already in {_maxGroups} groups, the limit (Hub:Limits:MaxGroupsPerConnection); leave one first.");
            case JoinOutcome.UnknownConnection:
                throw HubRequestException.NotFound($"No connection with id '{connectionId}' is connected to the hub.");
        }

        // Local membership before the position is read: every message after that position is
        // published after this point and therefore delivered to the joiner.
        await clients.AddToGroupAsync(connectionId, group, cancellationToken);
        var position = await history.GetPositionAsync(Target.Group(group).Stream, cancellationToken);

        if (outcome == JoinOutcome.Joined)
        {
            await PublishEventAsync(EnvelopeKind.MemberJoined, group, connectionId, user, cancellationToken);
        }

        return new JoinResult { Group = group, Epoch = position.Epoch, Offset = position.Offset };
    }

    public async Task LeaveAsync(string connectionId, string? user, string group, CancellationToken cancellationToken)
    {
        InputRules.ValidateGroup(group);

        var left = await presence.LeaveAsync(group, connectionId, cancellationToken);
        await clients.RemoveFromGroupAsync(connectionId, group, cancellationToken);
        if (left)
        {
            await PublishEventAsync(EnvelopeKind.MemberLeft, group, connectionId, user, cancellationToken);
        }
    }

    /// <summary>Takes a closed connection out of presence and tells the members of its groups.</summary>
    public async Task ForgetConnectionAsync(string connectionId, string? user)
    {
        IReadOnlyList<string> groups;
        try
        {
            groups = await presence.RemoveConnectionAsync(connectionId, CancellationToken.None);
        }
        catch (BackplaneUnavailableException ex)
        {
            // Presence keeps a stale entry until this node restarts (it then clears what its
            // previous run left) or dies (other nodes purge it).
            Log.ForgetFailed(logger, connectionId, ex);
            return;
        }

        await AnnounceDepartureAsync(connectionId, user, groups);
    }

    /// <summary>Tells the members of each group that the connection left (it closed, or its node died).</summary>
    public async Task AnnounceDepartureAsync(string connectionId, string? user, IReadOnlyList<string> groups)
    {
        foreach (var group in groups)
        {
            try
            {
                await PublishEventAsync(EnvelopeKind.MemberLeft, group, connectionId, user, CancellationToken.None);
            }
            catch (BackplaneUnavailableException ex)
            {
                Log.MemberLeftFailed(logger, connectionId, group, ex);
            }
        }
    }

    private Task PublishEventAsync(EnvelopeKind kind, string group, string connectionId, string? user, CancellationToken cancellationToken)
    {
        var envelope = new Envelope
        {
            Kind = kind,
            Target = Target.Group(group),
            ExceptConnectionId = connectionId,
            Event = new PresenceEvent { Group = group, ConnectionId = connectionId, User = user },
        };
        return broker.PublishAsync(envelope, requiredConnectionId: null, cancellationToken);
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Connection {ConnectionId} could not be removed from presence.")]
        public static partial void ForgetFailed(ILogger logger, string connectionId, Exception exception);

        [LoggerMessage(2, LogLevel.Warning, "MemberLeft for connection {ConnectionId} in group {Group} could not be published.")]
        public static partial void MemberLeftFailed(ILogger logger, string connectionId, string group, Exception exception);
    }
}
