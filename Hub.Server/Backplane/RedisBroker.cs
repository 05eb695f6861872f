using Hub.Client;
using Hub.Server.Core;
using Hub.Server.History;
using Hub.Server.Redis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using StreamPosition = Hub.Client.StreamPosition;

namespace Hub.Server.Backplane;

/// <summary>
/// The cluster bus. On one server and Sentinel: one Redis channel that every node subscribes to.
/// One channel, not one per connection, user or group: a connect or a join costs no SUBSCRIBE,
/// every node sees one order, and StackExchange.Redis hands the messages of one subscription to
/// us in order. On a Redis Cluster (interest routing, docs/design/redis-cluster.md §4): a sharded
/// channel per partition for this node, plus the broadcast channel; publish.lua sends a stream's
/// message only to the nodes that presence, in the stream's slot, says hold a recipient. Still no
/// SUBSCRIBE on a connect or a join: the interest is the presence write they make anyway. The
/// subscriptions' messages are funnelled into one reader, so delivery stays single-threaded.
/// </summary>
internal sealed partial class RedisBroker(
    RedisConnection redis,
    KnownPositions known,
    BusTraffic traffic,
    IOptions<HistoryOptions> historyOptions,
    IOptions<ClusterOptions> clusterOptions,
    ILogger<RedisBroker> logger) : IBroker
{
    private static readonly TimeSpan ResubscriptionWatch = TimeSpan.FromMilliseconds(250);
    private readonly HistoryOptions _history = historyOptions.Value;
    private readonly string _nodeId = clusterOptions.Value.NodeId;
    private readonly bool _routingWanted = clusterOptions.Value.InterestRouting;

    // Index 0 the bus; with routing, 1 + k the channel of partition k. Set once, before _subscribed.
    private RedisChannel[] _channels = [RedisChannel.Literal(RedisKeys.Bus)];
    private System.Net.EndPoint?[] _subscribedEndpoints = [null];

    // The last sequence number read on each channel (0 = none yet); touched by the one reader only.
    private long[] _sequences = [0];
    private volatile bool _routing;

    // On a Redis Cluster publish.lua keeps each stream's owner (the master that wrote it last), so a
    // failover or a slot move opens a new epoch that continues the old (docs/design/redis-cluster.md §4).
    private volatile bool _onCluster;
    private volatile bool _subscribed;
    private int _subscriptionLost;
    private ISubscriber? _subscriber;

    public event Action<BusGap>? Resubscribed;

    // A publish while this node's own subscription is down would reach every node but this one.
    public bool IsAvailable => redis.IsConnected && _subscribed && _subscriber!.IsConnected(_channels[0]);

    public bool IsReady => IsAvailable && redis.HasPrimary;

    // The constructor's services, for the receiving half in RedisBroker.Subscription.cs (a primary
    // constructor's parameters are in scope in the declaration that has them only).
    private RedisConnection Redis => redis;

    private KnownPositions Known => known;

    private BusTraffic Traffic => traffic;

    private ILogger Logger => logger;

    public async Task<StreamPosition> PublishAsync(Envelope envelope, string? requiredConnectionId, CallOrder.Turn? turn, CancellationToken cancellationToken)
    {
        if (!IsAvailable)
        {
            throw new BackplaneUnavailableException("The backplane (Redis) is unavailable; the message was not sent.");
        }

        var stream = envelope.Message?.Stream ?? "";
        var size = envelope.Message is null ? 0 : _history.Size;
        var (knownEpoch, knownOffset) = size > 0 ? known.Of(stream) : ("", 0);
        var slotStream = SlotStream(envelope);
        RedisKey[] keys;
        // Without routing: a classic PUBLISH to the bus (route '', no node channel prefix).
        var (route, routeArgument, nodeChannelPrefix) = ("", "", "");
        if (_routing)
        {
            string? commandConnection;
            (route, routeArgument, commandConnection) = Route(envelope, slotStream);
            // This node's own channel of that partition: down, the publish would reach the others only.
            if (!_subscriber!.IsConnected(_channels[slotStream == "all" ? 0 : 1 + RedisKeys.PartitionOf(slotStream)]))
            {
                throw new BackplaneUnavailableException("The backplane (Redis) is unavailable; the message was not sent.");
            }

            keys = ScriptKeys.PublishRouted(slotStream, requiredConnectionId, commandConnection);
            nodeChannelPrefix = slotStream == "all" ? "" : RedisKeys.NodeChannelPrefix(RedisKeys.PartitionOf(slotStream));
        }
        else
        {
            keys = ScriptKeys.Publish(slotStream, requiredConnectionId);
        }

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
            route,
            routeArgument,
            nodeChannelPrefix,
            _onCluster ? "1" : "",
        ];

        var waits = size > 0 && _history.WaitReplicas > 0;
        var primary = waits ? await RedisCalls.RunAsync(redis, () => Task.FromResult(redis.PrimaryOf(keys[0])), cancellationToken) : null;
        var parts = (RedisResult[])(await RedisCalls.RunAsync(redis, () =>
        {
            var evaluation = redis.Database.ScriptEvaluateAsync(RedisScripts.Publish, keys, values, RedisCalls.Primary);
            // The script is queued on the stream's connection, which Redis serves in order: this
            // message's place is fixed, and the caller's next one may follow it before Redis answers.
            turn?.End();
            return evaluation;
        }, cancellationToken))!;
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

    /// <summary>
    /// How publish.lua finds the nodes to send to (see the script): every node for a broadcast;
    /// the node of the connection for a message or command to one; for a group command, read from
    /// the group's members (an AddToGroup, whose join wrote it) or named by the sender (a
    /// RemoveFromGroup, whose leave removed it); the nodes with members or connections otherwise.
    /// </summary>
    private static (string Route, string Argument, string? CommandConnection) Route(Envelope envelope, string slotStream) => envelope.Kind switch
    {
        _ when slotStream == "all" => ("bus", "", null),
        EnvelopeKind.AddToGroup => ("conn", envelope.Target.Id!, envelope.Target.Id),
        EnvelopeKind.RemoveFromGroup => ("node", envelope.Node
            ?? throw new ArgumentException("A RemoveFromGroup command must name the node of its connection on a Redis Cluster.", nameof(envelope)), envelope.Target.Id),
        _ when envelope.Target.Kind == TargetKind.Connection => ("conn", envelope.Target.Id!, null),
        _ => ("nodes", "", null),
    };

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

        [LoggerMessage(4, LogLevel.Warning, "Bus channel {Channel} went from sequence {Last} to {Sequence}: messages may have been lost on the way; catching up from history.")]
        public static partial void SequenceBroken(ILogger logger, string channel, long last, long sequence);

        [LoggerMessage(5, LogLevel.Error, "Handling a bus envelope ({Kind} to {Stream}) failed; the reader goes on with the next.")]
        public static partial void HandlerFailed(ILogger logger, string kind, string stream, Exception exception);

        [LoggerMessage(6, LogLevel.Information, "This node's sharded subscriptions were found on replica {Replica} (left there by a failover), which would hand it every message of that shard a second time; that connection was closed, so they are made again on the slot's master.")]
        public static partial void StraySubscription(ILogger logger, string replica);

        [LoggerMessage(7, LogLevel.Debug, "Looking for this node's sharded subscriptions left on {Server} failed ({Reason}); the next look asks again.")]
        public static partial void StraySweepFailed(ILogger logger, string server, string reason);
    }
}
