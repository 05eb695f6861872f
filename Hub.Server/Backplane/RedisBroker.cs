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
    private readonly HistoryOptions _history = historyOptions.Value;
    private volatile ChannelMessageQueue? _queue;
    private int _subscriptionLost;
    private ISubscriber? _subscriber;

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
            if (e.ConnectionType == ConnectionType.Subscription)
            {
                Volatile.Write(ref _subscriptionLost, 1);
            }
        };
        multiplexer.ConnectionRestored += (_, e) =>
        {
            if (e.ConnectionType == ConnectionType.Subscription && Interlocked.Exchange(ref _subscriptionLost, 0) == 1)
            {
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
        RedisKey[] keys = [RedisKeys.StreamMeta(stream), RedisKeys.StreamLog(stream), RedisKeys.Connections];
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

        var parts = (RedisResult[])(await RedisCalls.RunAsync(redis, 
            () => redis.Database.ScriptEvaluateAsync(RedisScripts.Publish, keys, values, RedisCalls.Primary), cancellationToken))!;
        var offset = (long)parts[1];
        if (offset < 0)
        {
            throw HubRequestException.NotFound($"No connection with id '{requiredConnectionId}' is connected to the hub.");
        }

        var epoch = (string?)parts[0] ?? "";
        known.Note(stream, epoch, offset);
        if (size > 0 && _history.WaitReplicas > 0)
        {
            await WaitForReplicasAsync(keys[0], cancellationToken);
        }

        return new StreamPosition { Stream = stream, Epoch = epoch, Offset = offset };
    }

    /// <summary>
    /// WAIT on the connection that ran the publish (the primary holding the stream's meta key: WAIT
    /// counts that connection's writes; on a Redis Cluster another master's would count none of
    /// them), so the message is accepted only once replicas hold it: a replica promoted later has
    /// every accepted message. Other commands on the connection wait behind it; that is its cost.
    /// </summary>
    private async Task WaitForReplicasAsync(RedisKey metaKey, CancellationToken cancellationToken)
    {
        var wanted = _history.WaitReplicas;
        var timeout = (long)_history.WaitTimeout.TotalMilliseconds;
        var acknowledged = (long)(await RedisCalls.RunAsync(redis, 
            () => redis.PrimaryOf(metaKey).ExecuteAsync("WAIT", [wanted, timeout], RedisCalls.Primary), cancellationToken));
        if (acknowledged < wanted)
        {
            throw new BackplaneUnavailableException(
                $"Only {acknowledged} of the {wanted} Redis replica(s) that Hub:History:WaitReplicas asks for had the message within {timeout} ms; it was not accepted (its recipients may still receive it).");
        }
    }

    // Random, so a stream that starts over (Redis flushed or restarted empty) never repeats an old epoch.
    private static string NewEpoch() => Guid.NewGuid().ToString("N")[..12];

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Debug, "Subscribing to the Redis bus failed ({Reason}); retrying every second.")]
        public static partial void SubscribeFailed(ILogger logger, string reason);

        [LoggerMessage(2, LogLevel.Error, "A bus payload could not be read; it was skipped.")]
        public static partial void UnreadablePayload(ILogger logger, Exception exception);
    }
}
