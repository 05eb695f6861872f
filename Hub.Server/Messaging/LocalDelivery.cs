using Hub.Client;
using Hub.Server.Backplane;
using Hub.Server.Connections;
using Hub.Server.Hubs;
using Hub.Server.Recovery;
using Hub.Server.Telemetry;
using Microsoft.AspNetCore.SignalR;

namespace Hub.Server.Messaging;

/// <summary>
/// Delivers what arrives from the bus to this node's own connections, through the framework's
/// lifetime manager: it keeps the local connections and groups, and serializes each message
/// once per protocol however many connections receive it.
/// </summary>
internal sealed partial class LocalDelivery(
    HubLifetimeManager<RealtimeHub> clients,
    ResumingConnections resuming,
    HubMetrics metrics,
    ConnectionRegistry connections,
    ILogger<LocalDelivery> logger)
{
    private const string Receive = nameof(IHubClient.Receive);

    private const string DisconnectReason = "The connection was closed by the server (HTTP API).";

    /// <summary>The node-local group that holds every connection of one user.</summary>
    /// <remarks>User ids cannot contain control characters, so this never meets a real group name.</remarks>
    public static string UserGroup(string userId) => "\u0001user:" + userId;

    public async Task DeliverAsync(Envelope envelope)
    {
        try
        {
            if (envelope.Kind == EnvelopeKind.Message)
            {
                metrics.Delivered(envelope.Target.KindName);
            }

            await (envelope.Kind switch
            {
                EnvelopeKind.Message => SendAsync(envelope.Target, Receive, envelope.Message!, HeldFor(envelope.Message!)),
                EnvelopeKind.MemberJoined => SendAsync(envelope.Target, nameof(IHubClient.MemberJoined), envelope.Event!, Except(envelope.ExceptConnectionId)),
                EnvelopeKind.MemberLeft => SendAsync(envelope.Target, nameof(IHubClient.MemberLeft), envelope.Event!, Except(envelope.ExceptConnectionId)),
                // Commands: every node gets them, the lifetime manager and the registry ignore a
                // connection they do not have, so only the node that holds it acts.
                EnvelopeKind.AddToGroup => clients.AddToGroupAsync(envelope.Target.Id!, envelope.Group!),
                EnvelopeKind.RemoveFromGroup => clients.RemoveFromGroupAsync(envelope.Target.Id!, envelope.Group!),
                EnvelopeKind.Disconnect => connections.CloseAsync(envelope.Target.Id!, DisconnectReason, allowReconnect: false),
                _ => Task.CompletedTask,
            });
        }
        catch (Exception ex)
        {
            Log.DeliveryFailed(logger, envelope.Target.Stream, ex);
        }
    }

    private static IReadOnlyList<string>? Except(string? connectionId) => connectionId is null ? null : [connectionId];

    // A connection replaying this message's stream gets it from its replay, after the older ones.
    private List<string>? HeldFor(Message message) => resuming.IsEmpty ? null : resuming.Hold(message);

    private Task SendAsync(Target target, string method, object payload, IReadOnlyList<string>? excluded)
    {
        object[] args = [payload];
        return (target.Kind, excluded) switch
        {
            (TargetKind.All, null) => clients.SendAllAsync(method, args),
            (TargetKind.All, _) => clients.SendAllExceptAsync(method, args, excluded),
            (TargetKind.Connection, _) when excluded?.Contains(target.Id!) == true => Task.CompletedTask,
            (TargetKind.Connection, _) => clients.SendConnectionAsync(target.Id!, method, args),
            (TargetKind.User, null) => clients.SendGroupAsync(UserGroup(target.Id!), method, args),
            (TargetKind.User, _) => clients.SendGroupExceptAsync(UserGroup(target.Id!), method, args, excluded),
            (TargetKind.Group, null) => clients.SendGroupAsync(target.Id!, method, args),
            (TargetKind.Group, _) => clients.SendGroupExceptAsync(target.Id!, method, args, excluded),
            _ => Task.CompletedTask,
        };
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Error, "Delivering a message of stream {Stream} to local connections failed.")]
        public static partial void DeliveryFailed(ILogger logger, string stream, Exception exception);
    }
}
