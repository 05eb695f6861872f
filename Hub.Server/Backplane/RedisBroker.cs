using Hub.Client;
using Hub.Server.Coalescing;
using Hub.Server.Core;
using Hub.Server.History;
using Hub.Server.Redis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using StreamPosition = Hub.Client.StreamPosition;

namespace Hub.Server.Backplane;

/// <summary>
/// The cluster bus on one Redis channel that every node subscribes to. One channel, not one per
/// connection, user or group: a connect or a join costs no SUBSCRIBE, every node sees one
/// order, and StackExchange.Redis hands the messages of one subscription to us in order.
/// </summary>
internal sealed partial class RedisBroker(
    RedisConnection redis,
    KnownPositions known,
    IOptions<HistoryOptions> historyOptions,
    ILogger<RedisBroker> logger) : IBroker
{
    private static readonly RedisChannel Channel = RedisChannel.Literal(RedisKeys.Bus);
    private static readonly TimeSpan ResubscriptionWatch = TimeSpan.FromMilliseconds(250);
    private readonly HistoryOptions _history = historyOptions.Value;
    private volatile ChannelMessageQueue? _queue;
    private int _subscriptionLost;
    private ISubscriber? _subscriber;
    private System.Net.EndPoint? _subscribedEndpoint;

    public event Action? Resubscribed;

    // A publish while this node's own subscription is down would reach every node but this one.
    public bool IsAvailable => redis.IsConnected && _queue is not null && _subscriber!.IsConnected(Channel);

    public bool IsReady => IsAvailable && redis.HasPrimary;

    /// <summary>
    /// Subscribes in the background, so a node whose Redis is away at start still starts; when
    /// Redis is connected, waits for it (at most <see cref="RedisConnection.StartWait"/>), so the
    /// node is subscribed before it takes its first client.
    /// </summary>
    public async Task SubscribeAsync(Func<Envelope, Task> handler, CancellationToken cancellationToken)
    {
        var subscribing = Task.Run(() => SubscribeInBackgroundAsync(handler));
        if (redis.IsConnected)
        {
            await Task.WhenAny(subscribing, Task.Delay(RedisConnection.StartWait, cancellationToken));
        }
    }

    private async Task SubscribeInBackgroundAsync(Func<Envelope, Task> handler)
    {
        IConnectionMultiplexer multiplexer;
        try
        {
            multiplexer = await redis.Created.WaitAsync(redis.Stopping);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        multiplexer.ConnectionFailed += (_, e) =>
        {
            if (e.ConnectionType == ConnectionType.Subscription && Interlocked.Exchange(ref _subscriptionLost, 1) == 0)
            {
                _ = Task.Run(WatchForResubscriptionAsync);
            }
        };
        multiplexer.ConnectionRestored += (_, e) =>
        {
            if (e.ConnectionType == ConnectionType.Subscription)
            {
                NoteResubscribed();
            }
        };
        // A slot that moves without a connection failing (a manual failover, a migration) moves the
        // subscription with it: what was published meanwhile may have reached neither server.
        multiplexer.ConfigurationChanged += (_, _) =>
        {
            var endpoint = _subscriber?.SubscribedEndpoint(Channel);
            var before = Interlocked.Exchange(ref _subscribedEndpoint, endpoint);
            if (before is not null && endpoint is not null && !before.Equals(endpoint) && Volatile.Read(ref _subscriptionLost) == 0)
            {
                Log.SubscriptionMoved(logger, before.ToString() ?? "", endpoint.ToString() ?? "");
                Resubscribed?.Invoke();
            }
        };

        // Kept: every publish asks it whether this node is still subscribed.
        _subscriber = multiplexer.GetSubscriber();
        ChannelMessageQueue? queue = null;
        while (queue is null)
        {
            try
            {
                queue = await _subscriber.SubscribeAsync(Channel);
            }
            catch (Exception ex) when (ex is RedisConnectionException or RedisTimeoutException)
            {
                // Redis is away; the connection said so once already.
                Log.SubscribeFailed(logger, ex.Message);
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), redis.Stopping);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }

        // Deliveries while more messages wait leave their flushes to the end of the run (WriteBatch).
        var batch = new WriteBatch();
        var subscribed = queue;
        Func<bool> moreWaiting = () => subscribed.TryGetCount(out var waiting) && waiting > 0;
        queue.OnMessage(message => batch.Deliver(() => DeliverAsync(message, handler), moreWaiting));
        _queue = queue;
        Volatile.Write(ref _subscribedEndpoint, _subscriber.SubscribedEndpoint(Channel));
    }

    /// <summary>
    /// While the subscription is lost, looks every <see cref="ResubscriptionWatch"/> whether it is
    /// back. The library raises ConnectionRestored only when the server it lost comes back; on a
    /// Redis Cluster whose master died it subscribes again on the promoted replica instead, and says
    /// nothing: without this look a stream's messages published meanwhile would wait for its next
    /// message to be noticed missing.
    /// </summary>
    private async Task WatchForResubscriptionAsync()
    {
        try
        {
            while (Volatile.Read(ref _subscriptionLost) == 1)
            {
                await Task.Delay(ResubscriptionWatch, redis.Stopping);
                if (_subscriber!.IsConnected(Channel))
                {
                    NoteResubscribed();
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The node stops.
        }
    }

    private void NoteResubscribed()
    {
        if (Interlocked.Exchange(ref _subscriptionLost, 0) == 1)
        {
            Volatile.Write(ref _subscribedEndpoint, _subscriber?.SubscribedEndpoint(Channel));
            Resubscribed?.Invoke();
        }
    }

    private async Task DeliverAsync(ChannelMessage message, Func<Envelope, Task> handler)
    {
        Envelope envelope;
        try
        {
            envelope = BusCodec.DecodePublished((byte[])message.Message!);
        }
        catch (Exception ex)
        {
            Log.UnreadablePayload(logger, ex);
            return;
        }

        if (envelope.Message is { Offset: > 0 } seen)
        {
            known.Note(seen.Stream, seen.Epoch, seen.Offset);
        }

        await handler(envelope);
    }

    public async Task<StreamPosition> PublishAsync(Envelope envelope, string? requiredConnectionId, CancellationToken cancellationToken)
    {
        if (!IsAvailable)
        {
            throw new BackplaneUnavailableException("The backplane (Redis) is unavailable; the message was not sent.");
        }

        var stream = envelope.Message?.Stream ?? "";
        var size = envelope.Message is null ? 0 : _history.Size;
        var (knownEpoch, knownOffset) = size > 0 ? known.Of(stream) : ("", 0);
        var keys = ScriptKeys.Publish(SlotStream(envelope), requiredConnectionId);
        RedisValue[] values =
        [
            RedisKeys.Bus,
            BusCodec.Encode(envelope),
            size,
            (long)_history.Ttl.TotalSeconds,
            (long)_history.MetaTtl.TotalSeconds,
            size > 0 ? NewEpoch() : "",
            requiredConnectionId ?? "",
            knownEpoch,
            knownOffset,
        ];

        var waits = size > 0 && _history.WaitReplicas > 0;
        var primary = waits ? await RedisCalls.RunAsync(redis, () => Task.FromResult(redis.PrimaryOf(keys[0])), cancellationToken) : null;
        var parts = (RedisResult[])(await RedisCalls.RunAsync(redis, 
            () => redis.Database.ScriptEvaluateAsync(RedisScripts.Publish, keys, values, RedisCalls.Primary), cancellationToken))!;
        var offset = (long)parts[1];
        if (offset < 0)
        {
            throw HubRequestException.NotFound($"No connection with id '{requiredConnectionId}' is connected to the hub.");
        }

        var epoch = (string?)parts[0] ?? "";
        known.Note(stream, epoch, offset);
        if (primary is not null)
        {
            await WaitForReplicasAsync(primary, keys[0], cancellationToken);
        }

        return new StreamPosition { Stream = stream, Epoch = epoch, Offset = offset };
    }

    /// <summary>
    /// WAIT on the connection that ran the publish (the primary holding the stream's meta key: WAIT
    /// counts that connection's writes; on a Redis Cluster another master's would count none of
    /// them), so the message is accepted only once replicas hold it: a replica promoted later has
    /// every accepted message. Other commands on the connection wait behind it; that is its cost.
    /// <paramref name="primary"/> is the key's primary as the library saw it before the publish. On
    /// a Redis Cluster whose master of the slot dies meanwhile, the library names any other master
    /// for the slot, whose WAIT would count none of the publish's writes: a primary that is not the
    /// same after the publish refuses the message instead.
    /// </summary>
    private async Task WaitForReplicasAsync(IServer primary, RedisKey metaKey, CancellationToken cancellationToken)
    {
        var wanted = _history.WaitReplicas;
        var timeout = (long)_history.WaitTimeout.TotalMilliseconds;
        var acknowledged = (long)(await RedisCalls.RunAsync(redis, () =>
        {
            if (!redis.PrimaryOf(metaKey).EndPoint.Equals(primary.EndPoint))
            {
                throw new RedisConnectionException(ConnectionFailureType.UnableToConnect,
                    $"The primary holding '{metaKey}' changed while the message was written.");
            }

            return primary.ExecuteAsync("WAIT", [wanted, timeout], RedisCalls.Primary);
        }, cancellationToken));
        if (acknowledged < wanted)
        {
            throw new BackplaneUnavailableException(
                $"Only {acknowledged} of the {wanted} Redis replica(s) that Hub:History:WaitReplicas asks for had the message within {timeout} ms; it was not accepted (its recipients may still receive it).");
        }
    }

    /// <summary>
    /// The stream whose slot the publish runs in. On a Redis Cluster, publishes that run on two
    /// masters reach a subscriber over two links of the cluster bus, in no order between them;
    /// publishes in one slot keep theirs. So whatever must arrive before a group's later messages
    /// runs in the group's slot: its MemberJoined and MemberLeft, and the HTTP API's AddToGroup and
    /// RemoveFromGroup (the node holding the connection applies them before the group's next
    /// message). Everything else runs in its target's stream's slot. The meta and log of a stream
    /// are touched only by a message with history.
    /// </summary>
    private static string SlotStream(Envelope envelope) =>
        envelope.Kind is EnvelopeKind.AddToGroup or EnvelopeKind.RemoveFromGroup
            ? Target.Group(envelope.Group!).Stream
            : envelope.Target.Stream;

    // Random, so a stream that starts over (Redis flushed or restarted empty) never repeats an old epoch.
    private static string NewEpoch() => Guid.NewGuid().ToString("N")[..12];

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Debug, "Subscribing to the Redis bus failed ({Reason}); retrying every second.")]
        public static partial void SubscribeFailed(ILogger logger, string reason);

        [LoggerMessage(2, LogLevel.Error, "A bus payload could not be read; it was skipped.")]
        public static partial void UnreadablePayload(ILogger logger, Exception exception);

        [LoggerMessage(3, LogLevel.Information, "The Redis bus subscription moved from {Before} to {After} (the cluster's slots changed); catching up from history.")]
        public static partial void SubscriptionMoved(ILogger logger, string before, string after);
    }
}
