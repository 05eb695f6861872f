using Hub.Client;
using Hub.Server.Backplane;
using Hub.Server.Connections;
using Hub.Server.Hubs;
using Microsoft.AspNetCore.SignalR;

namespace Hub.Server.Messaging;

/// <summary>
/// Delivers what arrives from the bus to this node's own connections, through the framework's
/// lifetime manager: it keeps the local connections and groups, and serializes each message
/// once per protocol however many connections receive it.
/// </summary>
internal sealed partial class LocalDelivery(
    HubLifetimeManager<RealtimeHub> clients,
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
            await (envelope.Kind switch
            {
                EnvelopeKind.Message => SendAsync(envelope.Target, Receive, envelope.Message!, except: null),
                EnvelopeKind.MemberJoined => SendAsync(envelope.Target, nameof(IHubClient.MemberJoined), envelope.Event!, envelope.ExceptConnectionId),
                EnvelopeKind.MemberLeft => SendAsync(envelope.Target, nameof(IHubClient.MemberLeft), envelope.Event!, envelope.ExceptConnectionId),
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

    private Task SendAsync(Target target, string method, object payload, string? except)
    {
        object[] args = [payload];
        IReadOnlyList<string>? excluded = except is null ? null : [except];
        return target.Kind switch
        {
            TargetKind.All => clients.SendAllAsync(method, args),
            TargetKind.Connection => clients.SendConnectionAsync(target.Id!, method, args),
            TargetKind.User => clients.SendGroupAsync(UserGroup(target.Id!), method, args),
            TargetKind.Group when excluded is not null => clients.SendGroupExceptAsync(target.Id!, method, args, excluded),
            TargetKind.Group => clients.SendGroupAsync(target.Id!, method, args),
            _ => Task.CompletedTask,
        };
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Error, "Delivering a message of stream {Stream} to local connections failed.")]
        public static partial void DeliveryFailed(ILogger logger, string stream, Exception exception);
    }
}
