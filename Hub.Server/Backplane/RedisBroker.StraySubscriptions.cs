using StackExchange.Redis;

namespace Hub.Server.Backplane;

/// <summary>
/// Sharded subscriptions left on a replica after a failover (docs/design/redis-cluster.md §11).
/// A master killed and started again rejoins as the promoted one's replica, and StackExchange.Redis
/// (2.13) can hold this node's sharded subscriptions there, beside those on the new master or
/// instead of them; it never moves them, as it counts a replica fit to serve the slot. A replica
/// takes SSUBSCRIBE for its master's slots and delivers the shard's SPUBLISH, so the node gets every
/// message of that shard twice, for good: each copy reads as a broken sequence and costs a catch-up
/// from history. The library offers no way to drop a subscription on one server, so the node closes
/// its own connections on replicas that hold sharded subscriptions; the library connects again and
/// subscribes on the slot's master, and the node then catches up from history what that cost.
/// </summary>
internal sealed partial class RedisBroker
{
    // The gaps between looks after the last request: the library resubscribes within a moment of a
    // change, and a server started again may learn its demotion a few seconds later. A request
    // (a copy read as a broken sequence is one) brings the next look to at most the first gap away,
    // so copies stop within about that. Each look is one ROLE per server and one CLIENT LIST per replica.
    private static readonly TimeSpan[] StraySweepGaps =
        [TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(400), TimeSpan.FromMilliseconds(1500), TimeSpan.FromSeconds(3)];

    private static readonly TimeSpan StraySubscriptionMoveLimit = TimeSpan.FromSeconds(30);

    private readonly SemaphoreSlim _strayLookRequested = new(0);
    private int _straySweeping;

    /// <summary>
    /// Looks for this node's sharded subscriptions on replicas, soon and a few seconds later:
    /// after the cluster changed (a connection restored, new slots) or when a channel's sequence
    /// broke (a copy of a message is one way it breaks).
    /// </summary>
    private void LookForStraySubscriptions()
    {
        if (!_routing)
        {
            return;
        }

        _strayLookRequested.Release();
        if (Interlocked.Exchange(ref _straySweeping, 1) == 0)
        {
            _ = Task.Run(SweepStraySubscriptionsAsync);
        }
    }

    private async Task SweepStraySubscriptionsAsync()
    {
        try
        {
            var step = 0;
            var next = DateTime.UtcNow + StraySweepGaps[0];
            while (true)
            {
                if (step == StraySweepGaps.Length)
                {
                    Volatile.Write(ref _straySweeping, 0);
                    // A request between the last look and the write found the sweep still running: take it on.
                    if (_strayLookRequested.CurrentCount == 0 || Interlocked.Exchange(ref _straySweeping, 1) == 1)
                    {
                        return;
                    }

                    step = 0;
                }

                var wait = next - DateTime.UtcNow;
                var requested = wait > TimeSpan.Zero && await _strayLookRequested.WaitAsync(wait, Redis.Stopping);
                while (_strayLookRequested.Wait(0))
                {
                    requested = true;
                }

                if (requested)
                {
                    // The schedule starts over, and a look already nearer stays as near.
                    var soon = DateTime.UtcNow + StraySweepGaps[0];
                    next = soon < next || step > 0 ? soon : next;
                    step = 0;
                    continue;
                }

                await CloseStraySubscriptionsAsync();
                if (++step < StraySweepGaps.Length)
                {
                    next = DateTime.UtcNow + StraySweepGaps[step];
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The node stops.
        }
    }

    private async Task CloseStraySubscriptionsAsync()
    {
        var multiplexer = Redis.Multiplexer;
        // Each server is asked its role: the library may still count one started again a master.
        foreach (var server in multiplexer.GetServers().Where(s => s.IsConnected))
        {
            try
            {
                if ((string?)((RedisResult[])(await server.ExecuteAsync("ROLE"))!)[0] == "master")
                {
                    continue;
                }

                var clients = (string?)await server.ExecuteAsync("CLIENT", "LIST", "TYPE", "pubsub");
                var closed = false;
                foreach (var id in StrayConnections(clients, multiplexer.ClientName))
                {
                    Log.StraySubscription(Logger, server.EndPoint.ToString() ?? "");
                    Redis.ClosingSubscriptionOnPurpose(server.EndPoint);
                    await server.ExecuteAsync("CLIENT", "KILL", "ID", id);
                    closed = true;
                }

                if (closed)
                {
                    await CatchUpOnceSubscribedElsewhereAsync(server.EndPoint);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Mostly the server went away meanwhile, and with it what was subscribed there; the
                // next look (or the next change of the cluster) asks again.
                Log.StraySweepFailed(Logger, server.EndPoint.ToString() ?? "", ex.Message);
            }
        }
    }

    /// <summary>
    /// Some channels may have been subscribed on the closed connection alone (the library counts a
    /// replica fit for a slot); what was published to them until the library subscribes them again
    /// reached nobody. The library's word that a channel is connected comes before its SSUBSCRIBE is
    /// answered, so this waits for the answer itself (the endpoint it records from it) on another
    /// server for every channel, then catches up from history, which holds all of it.
    /// </summary>
    private async Task CatchUpOnceSubscribedElsewhereAsync(System.Net.EndPoint closed)
    {
        var deadline = DateTime.UtcNow + StraySubscriptionMoveLimit;
        while (!_channels.All(c => _subscriber!.SubscribedEndpoint(c) is { } at && !at.Equals(closed) && _subscriber.IsConnected(c)))
        {
            if (DateTime.UtcNow > deadline)
            {
                // The watch started by the closed connection catches up when they are back.
                break;
            }

            await Task.Delay(ResubscriptionWatch, Redis.Stopping);
        }

        Resubscribed?.Invoke(BusGap.Everything);
    }

    /// <summary>
    /// The ids of this node's connections (by client name) that hold sharded subscriptions, in a
    /// <c>CLIENT LIST</c> answer: one line per connection, <c>field=value</c> pairs.
    /// </summary>
    internal static IEnumerable<string> StrayConnections(string? clients, string clientName)
    {
        foreach (var line in (clients ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string? id = null, name = null, sharded = null;
            foreach (var field in line.Split(' '))
            {
                var equals = field.IndexOf('=');
                if (equals > 0)
                {
                    switch (field[..equals])
                    {
                        case "id": id = field[(equals + 1)..]; break;
                        case "name": name = field[(equals + 1)..]; break;
                        case "ssub": sharded = field[(equals + 1)..]; break;
                    }
                }
            }

            if (id is not null && name == clientName && sharded is not null && sharded != "0")
            {
                yield return id;
            }
        }
    }
}
