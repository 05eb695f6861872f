using Hub.Client;
using Hub.Server.Connections;
using Hub.Server.Core;
using Microsoft.AspNetCore.SignalR;

namespace Hub.Server.Messaging;

/// <summary>
/// Hands a message or a presence event to this node's connections that receive its target,
/// through the framework's lifetime manager: it keeps the local connections and groups, and
/// serializes each message once per protocol however many connections receive it. Used by the
/// bus loop for live messages and by a gap fill for messages from history, in the stream's order.
/// </summary>
internal sealed partial class LocalFanout(
    ILocalClients clients,
    ResumingConnections resuming,
    ILogger<LocalFanout> logger)
{
    private const string Receive = nameof(IHubClient.Receive);

    /// <summary>
    /// Sends still waiting on a slow connection beyond which the caller waits for them again,
    /// so what a stuck client can make this node hold stays bounded (each is one message,
    /// serialized once, and a few small tasks: tens of MB at the most). Enough for about 10 s at
    /// 5,000 messages/s, longer than the server took to drop a client that stopped reading in
    /// the bench (<c>--stalled</c>: about 9 s of stall before), so such a client is gone before
    /// it can stall anyone.
    /// </summary>
    public const int MaxPendingSends = 50_000;

    private int _pendingSends;

    /// <summary>
    /// Hands the message to the local connections and returns as soon as every one of them has
    /// it in order, not once every one has flushed it: one slow client must not hold up the bus,
    /// and with it every other connection of the node. The returned task is complete unless too
    /// many sends are pending; then the caller waits for this one.
    /// </summary>
    /// <remarks>
    /// Order holds without the wait: the lifetime manager calls each target connection's
    /// <c>WriteAsync</c> before its send returns, and a connection that is still writing queues
    /// the message on its own write lock, which releases waiters first in, first out. So each
    /// connection gets messages in the order they are handed over here, which is each stream's
    /// offset order. Held messages are decided here (<see cref="HeldFor"/>) before the send, so a
    /// replaying connection still gets its replay and then its held messages first.
    /// </remarks>
    public Task SendMessage(Target target, Message message) => Send(target, Receive, message, HeldFor(message));

    /// <summary>A presence event, to every receiver of the target but <paramref name="exceptConnectionId"/>; see <see cref="SendMessage"/>.</summary>
    public Task SendEvent(Target target, string method, PresenceEvent presenceEvent, string? exceptConnectionId) =>
        Send(target, method, presenceEvent, exceptConnectionId is null ? null : [exceptConnectionId]);

    private Task Send(Target target, string method, object payload, IReadOnlyList<string>? excluded)
    {
        Task delivery;
        try
        {
            delivery = SendCore(target, method, payload, excluded);
        }
        catch (Exception ex)
        {
            Log.DeliveryFailed(logger, target.Stream, ex);
            return Task.CompletedTask;
        }

        if (delivery.IsCompletedSuccessfully)
        {
            return Task.CompletedTask;
        }

        if (Interlocked.Increment(ref _pendingSends) > MaxPendingSends)
        {
            return CompleteAsync(delivery, target);
        }

        _ = CompleteAsync(delivery, target);
        return Task.CompletedTask;
    }

    private async Task CompleteAsync(Task delivery, Target target)
    {
        try
        {
            await delivery;
        }
        catch (Exception ex)
        {
            Log.DeliveryFailed(logger, target.Stream, ex);
        }
        finally
        {
            Interlocked.Decrement(ref _pendingSends);
        }
    }

    // A connection replaying this message's stream gets it from its replay, after the older ones.
    private List<string>? HeldFor(Message message) => resuming.IsEmpty ? null : resuming.Hold(message);

    private Task SendCore(Target target, string method, object payload, IReadOnlyList<string>? excluded)
    {
        object[] args = [payload];
        return (target.Kind, excluded) switch
        {
            (TargetKind.All, null) => clients.SendAllAsync(method, args),
            (TargetKind.All, _) => clients.SendAllExceptAsync(method, args, excluded),
            (TargetKind.Connection, _) when excluded?.Contains(target.Id!) == true => Task.CompletedTask,
            (TargetKind.Connection, _) => clients.SendConnectionAsync(target.Id!, method, args),
            (TargetKind.User, null) => clients.SendGroupAsync(LocalStreams.UserGroup(target.Id!), method, args),
            (TargetKind.User, _) => clients.SendGroupExceptAsync(LocalStreams.UserGroup(target.Id!), method, args, excluded),
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
