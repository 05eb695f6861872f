using System.Collections.Concurrent;
using System.Net;
using Hub.Server.Core;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Hub.Server.Redis;

/// <summary>
/// The node's one multiplexer. Commands fail fast while Redis is unreachable instead of
/// queueing in StackExchange.Redis's backlog: a send must either reach the bus now or
/// fail, never reach it minutes later or reach only this node. Redis need not be there when the
/// node starts: it connects in the background (a Sentinel that does not answer yet included),
/// and says once that Redis is unreachable and once that it answers again, however long that is:
/// "again" when the server it lost is back, or when every key of the node's has a connected primary
/// once more (a Redis Cluster that went on without a dead master, which may never be back).
/// </summary>
internal sealed partial class RedisConnection(IOptions<ClusterOptions> options, ILogger<RedisConnection> logger)
    : IHostedService, IAsyncDisposable
{
    /// <summary>
    /// How long the node's start waits for Redis: long enough for a Redis that is there to be
    /// connected before the first client arrives (through Sentinel that takes up to about 2 s),
    /// short enough that a node whose Redis is away listens (and answers its probes) at once;
    /// a refused connection ends the wait at once anyway.
    /// </summary>
    public static readonly TimeSpan StartWait = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    /// <summary>How long a connection the node closes on purpose may take to be reported lost.</summary>
    private static readonly TimeSpan ClosingGrace = TimeSpan.FromSeconds(5);

    private readonly TaskCompletionSource<IConnectionMultiplexer> _created = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<EndPoint, DateTime> _closingOnPurpose = new();

    // Connections reported lost and not restored yet. A dead master's stay here, so that the
    // library's failure report of each attempt to reach it again is no new outage once the node
    // said Redis answers again without it.
    private readonly ConcurrentDictionary<(EndPoint, ConnectionType), byte> _lost = new();
    private ConnectionMultiplexer? _multiplexer;
    private Task? _connecting;
    private int _unreachable;
    private long _unavailableAt = long.MinValue / 2;
    private long _slotsReadAt = long.MinValue / 2;

    /// <summary>How long a call that failed for want of Redis keeps the node from counting as ready.</summary>
    public static readonly TimeSpan FailureHold = TimeSpan.FromSeconds(1);

    /// <exception cref="BackplaneUnavailableException">Redis was not reached yet since the node started.</exception>
    public IConnectionMultiplexer Multiplexer =>
        _multiplexer ?? throw new BackplaneUnavailableException("Redis has not been reached since the node started; the operation was not carried out.");

    /// <inheritdoc cref="Multiplexer"/>
    public IDatabase Database => Multiplexer.GetDatabase();

    public bool IsConnected => _multiplexer?.IsConnected == true;

    /// <summary>
    /// The node is about to close its own subscription connection to <paramref name="endPoint"/>
    /// (sharded subscriptions left on a replica): the library reports it lost, which is no outage,
    /// so it is logged at Debug rather than as Redis being unreachable.
    /// </summary>
    public void ClosingSubscriptionOnPurpose(EndPoint endPoint) => _closingOnPurpose[endPoint] = DateTime.UtcNow + ClosingGrace;

    /// <summary>
    /// The primary that holds <paramref name="key"/>: on a Redis Cluster the master of its slot,
    /// otherwise the one primary. Commands sent to it ride the connection that ran the key's
    /// scripts, which WAIT needs: it counts that connection's writes only.
    /// </summary>
    /// <exception cref="RedisConnectionException">No primary holding the key is known right now (a failover runs).</exception>
    public IServer PrimaryOf(RedisKey key)
    {
        try
        {
            return Multiplexer.GetServer(key, flags: RedisCalls.Primary);
        }
        catch (InvalidOperationException ex)
        {
            throw NoPrimary(key, ex);
        }
    }

    private static RedisConnectionException NoPrimary(RedisKey key, Exception? inner = null) =>
        new(ConnectionFailureType.UnableToConnect, $"No primary holds '{key}' right now.", inner);

    /// <summary>
    /// Whether a primary is connected (through Sentinel, replicas alone may be while a failover
    /// runs), and no call failed for want of Redis in the last <see cref="FailureHold"/>: while a
    /// failover settles, the library can see a primary that commands cannot reach yet, and
    /// "ready" must mean sends are taken.
    /// </summary>
    public bool HasPrimary =>
        Environment.TickCount64 - Volatile.Read(ref _unavailableAt) > (long)FailureHold.TotalMilliseconds &&
        _multiplexer?.GetServers().Any(s => s.IsConnected && !s.IsReplica) == true;

    /// <summary>A call failed for want of Redis (<see cref="RedisCalls"/>): the node is not ready for a moment.</summary>
    public void Unavailable() => Volatile.Write(ref _unavailableAt, Environment.TickCount64);

    /// <summary>
    /// A call met a MOVED it did not follow (<see cref="RedisCalls.Primary"/>), or a subscription
    /// lost with a dead master is not made again (RedisBroker's resubscription watch): the library's
    /// map of the cluster's slots is behind, so it is asked to read the cluster again, at most once a
    /// second; after reading it, it also subscribes again what has no server. Its own re-read after a
    /// MOVED waits 5 s since its last one, and in the cluster fault test did not come for over 20 s,
    /// while every send of the slot was refused.
    /// </summary>
    public void SlotsMoved()
    {
        var now = Environment.TickCount64;
        var last = Volatile.Read(ref _slotsReadAt);
        if (now - last < 1000 || Interlocked.CompareExchange(ref _slotsReadAt, now, last) != last || _multiplexer is not { } multiplexer)
        {
            return;
        }

        _ = multiplexer.ConfigureAsync().ContinueWith(
            static (read, state) => Log.SlotsNotRead((ILogger)state!, read.Exception!.GetBaseException().Message),
            logger, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
    }

    /// <summary>Completes with the multiplexer once it exists (it then reconnects by itself).</summary>
    public Task<IConnectionMultiplexer> Created => _created.Task;

    /// <summary>The stopping node's token: background work on Redis ends with it.</summary>
    public CancellationToken Stopping => _stopping.Token;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var config = ConfigurationOptions.Parse(options.Value.Redis!);
        config.AbortOnConnectFail = false;
        config.BacklogPolicy = BacklogPolicy.FailFast;
        config.ClientName ??= $"hub-{options.Value.NodeId}";
        // CLIENT LIST and CLIENT KILL on a replica, for this node's own subscriptions a failover
        // left there (RedisBroker.StraySubscriptions.cs); the library refuses them without.
        config.AllowAdmin = true;
        config.ConnectTimeout = Math.Min(config.ConnectTimeout, 5000);
        config.SyncTimeout = Math.Min(config.SyncTimeout, 5000);
        config.AsyncTimeout = Math.Min(config.AsyncTimeout, 5000);
        // Try again every second while Redis is away, so cross-node delivery is back within
        // seconds of its return rather than after an exponential backoff.
        config.ReconnectRetryPolicy ??= new LinearRetry(1000);
        // Read Redis's answers on the thread pool, whose workers are awake and spinning anyway at
        // load, rather than on the library's own threads, which sleep between answers: each
        // answer then costs no wake-up of a sleeping thread before it reaches the thread pool.
        config.SocketManager = SocketManager.ThreadPool;

        if (config.ServiceName is not null)
        {
            EnoughThreadsForSentinel();
        }

        Log.Connecting(logger, config.ToString(includePassword: false), options.Value.NodeId);
        _connecting = Task.Run(() => ConnectAsync(config));
        await Task.WhenAny(_connecting, Task.Delay(StartWait, cancellationToken));
        if (!IsConnected)
        {
            Unreachable("not reachable at start");
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => _stopping.CancelAsync();

    // Disposed twice: as the singleton and as the hosted service the container built from it.
    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        if (_connecting is not null)
        {
            await _connecting.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        if (Interlocked.Exchange(ref _multiplexer, null) is { } multiplexer)
        {
            await multiplexer.CloseAsync(allowCommandsToComplete: true);
            multiplexer.Dispose();
        }
    }

    /// <summary>
    /// While Redis fails over, StackExchange.Redis's Sentinel handling blocks thread-pool threads
    /// (synchronous waits on the sentinels, in parallel). Past the pool's minimum (the number of
    /// cores) a thread is added only every 500 ms, so on a small machine hub calls waited seconds
    /// for one and sends did not fail fast. Threads up to the minimum are made at once, when needed.
    /// </summary>
    private static void EnoughThreadsForSentinel()
    {
        ThreadPool.GetMinThreads(out var workers, out var completions);
        ThreadPool.SetMinThreads(Math.Max(workers, SentinelMinThreads), completions);
    }

    private const int SentinelMinThreads = 16;

    // A standalone server that is away still gives a multiplexer, which reconnects by itself; a
    // Sentinel setup gives none until a sentinel names the primary, so that is tried again here.
    private async Task ConnectAsync(ConfigurationOptions config)
    {
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                var multiplexer = await ConnectionMultiplexer.ConnectAsync(config);
                multiplexer.ConnectionFailed += (_, e) => Failed(e);
                multiplexer.ConnectionRestored += (_, e) => Restored(e);
                _multiplexer = multiplexer;
                if (multiplexer.IsConnected)
                {
                    Reachable(multiplexer.GetEndPoints().FirstOrDefault()?.ToString());
                }

                _created.TrySetResult(multiplexer);
                return;
            }
            catch (RedisConnectionException ex)
            {
                Unreachable(ex.Message);
                try
                {
                    await Task.Delay(RetryDelay, _stopping.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private void Failed(ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType == ConnectionType.Subscription && e.EndPoint is { } endPoint
            && _closingOnPurpose.TryRemove(endPoint, out var until) && DateTime.UtcNow <= until)
        {
            Log.ClosedOnPurpose(logger, endPoint.ToString());
            return;
        }

        if (e.EndPoint is not null && !_lost.TryAdd((e.EndPoint, e.ConnectionType), 0))
        {
            // Still lost since it was said: a failed attempt to reach it again.
            return;
        }

        Unreachable($"{e.FailureType} on {e.EndPoint} ({e.ConnectionType})");
    }

    private void Restored(ConnectionFailedEventArgs e)
    {
        if (e.EndPoint is not null)
        {
            _lost.TryRemove((e.EndPoint, e.ConnectionType), out _);
        }

        Reachable(e.EndPoint?.ToString());
    }

    // Once per outage, whatever fails during it and however often: each failed reconnect raises
    // the library's failure event again.
    private void Unreachable(string reason)
    {
        if (Interlocked.Exchange(ref _unreachable, 1) == 0)
        {
            Log.Unreachable(logger, reason);
            _ = Task.Run(WatchForPrimariesAsync);
        }
    }

    private void Reachable(string? endPoint)
    {
        if (Interlocked.Exchange(ref _unreachable, 0) == 1)
        {
            Log.Reachable(logger, endPoint);
        }
    }

    /// <summary>
    /// While Redis counts as unreachable, looks every second whether each of the node's keys has a
    /// connected primary again. The library says a connection is restored only when the server it
    /// lost is back; a Redis Cluster whose master died goes on with a replica promoted (a Sentinel
    /// setup too, whose primary the library then follows), and the dead master may never be back.
    /// On a Redis Cluster the library's map of the slots may name the dead master until it reads
    /// the cluster again, so it is asked to (at most once a second) while some primary answers.
    /// </summary>
    private async Task WatchForPrimariesAsync()
    {
        try
        {
            while (Volatile.Read(ref _unreachable) == 1)
            {
                await Task.Delay(RetryDelay, _stopping.Token);
                if (_multiplexer is not { IsConnected: true } multiplexer)
                {
                    continue;
                }

                if (EveryKeyHasAPrimary(multiplexer))
                {
                    // A server whose return the library has yet to report is not "away".
                    var away = _lost.Keys.Select(k => k.Item1).Distinct().Where(e => !multiplexer.GetServer(e).IsConnected).ToList();
                    if (Interlocked.Exchange(ref _unreachable, 0) == 1)
                    {
                        if (away.Count == 0)
                        {
                            Log.Reachable(logger, multiplexer.GetServer(RedisKeys.Bus, flags: RedisCalls.Primary).EndPoint.ToString());
                        }
                        else
                        {
                            Log.PrimariesBack(logger, string.Join(", ", away));
                        }
                    }
                }
                else if (HasPrimary && multiplexer.GetServers().Any(s => s.ServerType == ServerType.Cluster))
                {
                    SlotsMoved();
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The node stops.
        }
    }

    // One key of each partition and the cluster-wide ones: together every slot the node's keys and
    // channels are in.
    private static readonly RedisKey[] KeysOfEverySlot =
        [RedisKeys.Bus, RedisKeys.Nodes, .. Enumerable.Range(0, RedisKeys.Partitions).Select(p => (RedisKey)RedisKeys.Registry(p))];

    private static bool EveryKeyHasAPrimary(IConnectionMultiplexer multiplexer)
    {
        try
        {
            return KeysOfEverySlot.All(key => multiplexer.GetServer(key, flags: RedisCalls.Primary).IsConnected);
        }
        catch (InvalidOperationException)
        {
            // No server is known for a key's slot.
            return false;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Connecting to Redis {Configuration} as node {NodeId}.")]
        public static partial void Connecting(ILogger logger, string configuration, string nodeId);

        [LoggerMessage(2, LogLevel.Warning, "Redis is unreachable ({Reason}); sends fail and the node is not ready until it answers again. Trying every second.")]
        public static partial void Unreachable(ILogger logger, string reason);

        [LoggerMessage(3, LogLevel.Information, "Redis answers again ({EndPoint}).")]
        public static partial void Reachable(ILogger logger, string? endPoint);

        [LoggerMessage(4, LogLevel.Debug, "Reading the Redis Cluster's slots again failed ({Reason}); the next refused call tries again.")]
        public static partial void SlotsNotRead(ILogger logger, string reason);

        [LoggerMessage(5, LogLevel.Debug, "The node closed its subscription connection to {EndPoint} on purpose; the library connects again.")]
        public static partial void ClosedOnPurpose(ILogger logger, string? endPoint);

        [LoggerMessage(6, LogLevel.Information, "Redis answers again: each of the node's keys has a connected primary. Still away, and not needed: {EndPoints}.")]
        public static partial void PrimariesBack(ILogger logger, string endPoints);
    }
}
