using Hub.Client;
using Hub.Server.Coalescing;
using Hub.Server.Core;
using Hub.Server.Redis;
using StackExchange.Redis;

namespace Hub.Server.Backplane;

/// <summary>
/// The bus's receiving half: subscribing (with retries while Redis is away), noticing a
/// subscription that was lost or moved, and the one reader that hands every message on in order,
/// checking a routed channel's sequence on the way. Publishing is in RedisBroker.cs.
/// </summary>
internal sealed partial class RedisBroker
{
    /// <summary>
    /// Subscribes in the background, so a node whose Redis is away at start still starts; when
    /// Redis is connected, waits for it (at most <see cref="RedisConnection.StartWait"/>), so the
    /// node is subscribed before it takes its first client.
    /// </summary>
    public async Task SubscribeAsync(Func<Envelope, Task> handler, CancellationToken cancellationToken)
    {
        var subscribing = Task.Run(() => SubscribeInBackgroundAsync(handler));
        if (Redis.IsConnected)
        {
            await Task.WhenAny(subscribing, Task.Delay(RedisConnection.StartWait, cancellationToken));
        }
    }

    private async Task SubscribeInBackgroundAsync(Func<Envelope, Task> handler)
    {
        IConnectionMultiplexer multiplexer;
        try
        {
            multiplexer = await Redis.Created.WaitAsync(Redis.Stopping);
            // Whether it is a cluster is known once connected.
            while (!multiplexer.IsConnected)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), Redis.Stopping);
            }
        }
        catch (OperationCanceledException)
        {
            return;
        }

        _onCluster = multiplexer.GetServers().Any(s => s.ServerType == ServerType.Cluster);
        if (_routingWanted && _onCluster)
        {
            _channels =
            [
                RedisChannel.Sharded(RedisKeys.Bus),
                .. Enumerable.Range(0, RedisKeys.Partitions).Select(k => RedisChannel.Sharded(RedisKeys.NodeChannel(k, _nodeId))),
            ];
            _subscribedEndpoints = new System.Net.EndPoint?[_channels.Length];
            _sequences = new long[_channels.Length];
            _routing = true;
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

            // A killed master started again: it may take this node's subscriptions as a replica.
            LookForStraySubscriptions();
        };
        // A slot that moves without a connection failing (a manual failover, a migration) moves the
        // subscription with it: what was published meanwhile may have reached neither server.
        multiplexer.ConfigurationChanged += (_, _) =>
        {
            if (!_subscribed)
            {
                return;
            }

            LookForStraySubscriptions();
            var moved = NoteEndpoints();
            if (moved is var (before, after) && Volatile.Read(ref _subscriptionLost) == 0)
            {
                Log.SubscriptionMoved(Logger, before.ToString() ?? "", after.ToString() ?? "");
                Resubscribed?.Invoke(BusGap.Everything);
            }
        };

        // Kept: every publish asks it whether this node is still subscribed.
        _subscriber = multiplexer.GetSubscriber();
        var funnel = System.Threading.Channels.Channel.CreateUnbounded<(int Channel, byte[] Payload)>(
            new System.Threading.Channels.UnboundedChannelOptions { SingleReader = true });
        for (var index = 0; index < _channels.Length; index++)
        {
            var queue = await SubscribeWithRetryAsync(_channels[index]);
            if (queue is null)
            {
                return;
            }

            var channel = index;
            // Each queue hands its messages over in order; the funnel keeps that order per channel.
            queue.OnMessage(message => { funnel.Writer.TryWrite((channel, (byte[])message.Message!)); });
        }

        NoteEndpoints();
        _subscribed = true;
        // Not awaited: subscribing is done, and the start waits for that alone.
        _ = Task.Run(() => ReadAsync(funnel.Reader, handler));
    }

    private async Task<ChannelMessageQueue?> SubscribeWithRetryAsync(RedisChannel channel)
    {
        while (true)
        {
            try
            {
                return await _subscriber!.SubscribeAsync(channel);
            }
            catch (Exception ex) when (ex is RedisConnectionException or RedisTimeoutException)
            {
                // Redis is away; the connection said so once already.
                Log.SubscribeFailed(Logger, ex.Message);
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), Redis.Stopping);
                }
                catch (OperationCanceledException)
                {
                    return null;
                }
            }
        }
    }

    // The one delivery reader: all subscriptions' messages, one at a time, as one subscription's were.
    private async Task ReadAsync(System.Threading.Channels.ChannelReader<(int Channel, byte[] Payload)> reader, Func<Envelope, Task> handler)
    {
        // Deliveries while more messages wait leave their flushes to the end of the run (WriteBatch).
        var batch = new WriteBatch();
        Func<bool> moreWaiting = () => reader.TryPeek(out _);
        try
        {
            await foreach (var (channel, payload) in reader.ReadAllAsync(Redis.Stopping))
            {
                Envelope envelope;
                try
                {
                    envelope = Decode(channel, payload);
                }
                catch (Exception ex)
                {
                    Log.UnreadablePayload(Logger, ex);
                    continue;
                }

                if (envelope.Message is { Offset: > 0 } seen)
                {
                    Known.Note(seen.Stream, seen.Epoch, seen.Offset);
                }

                if (envelope.Kind == EnvelopeKind.Message)
                {
                    Traffic.Received(envelope.Target.Kind);
                }

                try
                {
                    await batch.Deliver(() => handler(envelope), moreWaiting);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !Redis.Stopping.IsCancellationRequested)
                {
                    // One envelope that could not be handled must not stop the node's only reader.
                    Log.HandlerFailed(Logger, envelope.Kind.ToString(), envelope.Target.Stream, ex);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The node stops.
        }
    }

    // A routed payload starts with its channel's sequence number: one that does not follow the last
    // (a message lost between Redis and this node: a resubscribe, a failover) or that went back
    // (the sequences were lost with a master) means messages of that channel's streams may be
    // missing, so those of them with local recipients catch up from history.
    private Envelope Decode(int channel, byte[] payload)
    {
        if (!_routing)
        {
            return BusCodec.DecodePublished(payload);
        }

        var colon = Array.IndexOf(payload, (byte)':');
        if (colon < 0 || !System.Buffers.Text.Utf8Parser.TryParse(payload.AsSpan(0, colon), out long sequence, out _))
        {
            throw new FormatException("A routed bus payload did not start with '{sequence}:'.");
        }

        var last = _sequences[channel];
        _sequences[channel] = sequence;
        if (last != 0 && sequence != last + 1)
        {
            Log.SequenceBroken(Logger, _channels[channel].ToString(), last, sequence);
            Resubscribed?.Invoke(channel == 0 ? BusGap.Broadcasts : BusGap.OfPartition(channel - 1));
            LookForStraySubscriptions();
        }

        return BusCodec.DecodePublished(payload.AsMemory(colon + 1));
    }

    // Records where each channel is subscribed now; returns one that moved, if any.
    private (System.Net.EndPoint Before, System.Net.EndPoint After)? NoteEndpoints()
    {
        (System.Net.EndPoint, System.Net.EndPoint)? moved = null;
        for (var index = 0; index < _channels.Length; index++)
        {
            var endpoint = _subscriber?.SubscribedEndpoint(_channels[index]);
            var before = Interlocked.Exchange(ref _subscribedEndpoints[index], endpoint);
            if (before is not null && endpoint is not null && !before.Equals(endpoint))
            {
                moved ??= (before, endpoint);
            }
        }

        return moved;
    }

    /// <summary>
    /// While a subscription is lost, looks every <see cref="ResubscriptionWatch"/> whether all are
    /// back. The library raises ConnectionRestored only when the server it lost comes back; on a
    /// Redis Cluster whose master died it subscribes again on the promoted replica instead, and says
    /// nothing: without this look a stream's messages published meanwhile would wait for its next
    /// message to be noticed missing. A channel is back once the library names the server it is
    /// subscribed on: its IsConnected(channel) says only that a server for the channel is connected,
    /// which is true from the moment a dead master's slots fall to another one, before anything is
    /// subscribed there. The library subscribes again when a server's subscription connection comes
    /// up or when it reads the cluster again; on a Redis Cluster whose master died for good neither
    /// may come for a minute (its periodic read), and every routed message of the master's slots
    /// would miss this node meanwhile, so it is asked to read the cluster (at most once a second).
    /// </summary>
    private async Task WatchForResubscriptionAsync()
    {
        try
        {
            while (Volatile.Read(ref _subscriptionLost) == 1)
            {
                await Task.Delay(ResubscriptionWatch, Redis.Stopping);
                if (!_subscribed)
                {
                    continue;
                }

                if (_channels.All(channel => _subscriber!.SubscribedEndpoint(channel) is not null && _subscriber.IsConnected(channel)))
                {
                    NoteResubscribed();
                }
                else if (_onCluster)
                {
                    Redis.SlotsMoved();
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
            NoteEndpoints();
            Resubscribed?.Invoke(BusGap.Everything);
        }
    }
}
