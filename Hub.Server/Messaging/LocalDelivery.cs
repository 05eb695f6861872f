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

    /// <summary>
    /// Sends still waiting on a slow connection beyond which the bus loop waits for them again,
    /// so what a stuck client can make this node hold stays bounded (each is one message,
    /// serialized once, and a few small tasks: tens of MB at the most). Enough for about 10 s at
    /// 5,000 messages/s, longer than the server took to drop a client that stopped reading in
    /// the bench (<c>--stalled</c>: about 9 s of stall before), so such a client is gone before
    /// it can stall anyone.
    /// </summary>
    public const int MaxPendingSends = 50_000;

    private int _pendingSends;

    /// <summary>
    /// Hands the envelope to the local connections and returns as soon as every one of them has
    /// it in order, not once every one has flushed it: one slow client must not hold up the bus,
    /// and with it every other connection of the node.
    /// </summary>
    /// <remarks>
    /// Order holds without the wait: the lifetime manager calls each target connection's
    /// <c>WriteAsync</c> before its send returns, and a connection that is still writing queues
    /// the message on its own write lock, which releases waiters first in, first out. So each
    /// connection gets messages in the order this loop sees them, which is each stream's offset
    /// order. Held messages are decided here (<see cref="HeldFor"/>) before the send, as before,
    /// so a replaying connection still gets its replay and then its held messages first.
    /// </remarks>
    public Task DeliverAsync(Envelope envelope)
    {
        Task delivery;
        try
        {
            if (envelope.Kind == EnvelopeKind.Message)
            {
                metrics.Delivered(envelope.Target.KindName);
            }

            delivery = envelope.Kind switch
            {
                EnvelopeKind.Message => SendAsync(envelope.Target, Receive, envelope.Message!, HeldFor(envelope.Message!)),
                EnvelopeKind.MemberJoined => SendAsync(envelope.Target, nameof(IHubClient.MemberJoined), envelope.Event!, Except(envelope.ExceptConnectionId)),
                EnvelopeKind.MemberLeft => SendAsync(envelope.Target, nameof(IHubClient.MemberLeft), envelope.Event!, Except(envelope.ExceptConnectionId)),
                // Commands: every node gets them, the lifetime manager and the registry ignore a
                // connection they do not have, so only the node that holds it acts. The loop waits
                // for them, so a message after a join reaches the new member.
                EnvelopeKind.AddToGroup => clients.AddToGroupAsync(envelope.Target.Id!, envelope.Group!),
                EnvelopeKind.RemoveFromGroup => clients.RemoveFromGroupAsync(envelope.Target.Id!, envelope.Group!),
                EnvelopeKind.Disconnect => connections.CloseAsync(envelope.Target.Id!, DisconnectReason, allowReconnect: false),
                _ => Task.CompletedTask,
            };
        }
        catch (Exception ex)
        {
            Log.DeliveryFailed(logger, envelope.Target.Stream, ex);
            return Task.CompletedTask;
        }

        if (delivery.IsCompletedSuccessfully)
        {
            return Task.CompletedTask;
        }

        var isSend = envelope.Kind is EnvelopeKind.Message or EnvelopeKind.MemberJoined or EnvelopeKind.MemberLeft;
        if (!isSend || Interlocked.Increment(ref _pendingSends) > MaxPendingSends)
        {
            return CompleteAsync(delivery, envelope, counted: isSend);
        }

        _ = CompleteAsync(delivery, envelope, counted: true);
        return Task.CompletedTask;
    }

    private async Task CompleteAsync(Task delivery, Envelope envelope, bool counted)
    {
        try
        {
            await delivery;
        }
        catch (Exception ex)
        {
            Log.DeliveryFailed(logger, envelope.Target.Stream, ex);
        }
        finally
        {
            if (counted)
            {
                Interlocked.Decrement(ref _pendingSends);
            }
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
