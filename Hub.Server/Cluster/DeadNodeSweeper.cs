using Hub.Server.Backplane;
using Hub.Server.Core;
using Hub.Server.Groups;
using Hub.Server.Presence;
using Microsoft.Extensions.Options;

namespace Hub.Server.Cluster;

/// <summary>
/// Forgets the connections of nodes that died without a clean shutdown, and tells the members
/// of their groups. Every node sweeps every second; the store hands each departed connection to
/// one sweeper only, so each departure is announced once.
/// </summary>
internal sealed partial class DeadNodeSweeper(
    IPresenceStore presence,
    ConnectionDepartures departures,
    IBroker broker,
    PreviousRunCleared previousRun,
    IOptions<PresenceOptions> options,
    IOptions<ClusterOptions> cluster,
    TimeProvider time,
    ILogger<DeadNodeSweeper> logger) : QuietlyStoppingService
{
    private const int Batch = 500;
    private static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(1);

    // Far longer than the steps of a forget take, even with Redis slow: an entry this old was
    // begun by a node that died before it ended. (A forget that failed on a live node is finished
    // by its own retry.) Looked for after a purge, and otherwise seldom: it reads every partition.
    private static readonly TimeSpan ForgetOverdue = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan OverdueLookInterval = TimeSpan.FromSeconds(60);
    private long _nextOverdueLook;
    private readonly string _nodeId = cluster.Value.NodeId;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // Before the first client when Redis answers now; otherwise the first sweep that reaches
        // it does it, and the node lists no connection until then.
        try
        {
            await ClearPreviousRunAsync(cancellationToken).WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
        }
        catch (Exception ex) when (ex is BackplaneUnavailableException or TimeoutException)
        {
            Log.LeftoversWaitForRedis(logger);
        }

        await base.StartAsync(cancellationToken);
    }

    protected override async Task RunAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(SweepInterval, time);
        var failures = 0;
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await ClearPreviousRunAsync(stoppingToken);
                var deadBefore = time.GetUtcNow() - options.Value.DeadAfter;
                var purged = false;
                foreach (var node in await presence.FindSilentNodesAsync(deadBefore, stoppingToken))
                {
                    if (node != _nodeId)
                    {
                        await PurgeAsync(node, deadBefore, stoppingToken);
                        purged = true;
                    }
                }

                await FinishOverdueAsync(purged, stoppingToken);

                if (failures > 0)
                {
                    Log.SweepingAgain(logger, failures);
                    failures = 0;
                }
            }
            catch (BackplaneUnavailableException)
            {
                // Redis is away: the connection to it says so, once for the outage.
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Said once for a run of failures, not every second.
                if (failures++ == 0)
                {
                    Log.SweepFailed(logger, ex);
                }
            }
        }
    }

    // A node restarted under the same id would otherwise keep its previous run's connections
    // in presence for good: its own heartbeat says the node is alive.
    private async Task ClearPreviousRunAsync(CancellationToken cancellationToken)
    {
        // The bus first: the members of the departed connections' groups are told on it.
        if (!previousRun.IsDone)
        {
            if (!broker.IsAvailable)
            {
                throw new BackplaneUnavailableException("The bus is not subscribed yet.");
            }

            await PurgeAsync(_nodeId, unlessAliveSince: null, cancellationToken);
            previousRun.Done();
        }
    }

    private async Task PurgeAsync(string node, DateTimeOffset? unlessAliveSince, CancellationToken cancellationToken)
    {
        var forgotten = 0;
        IReadOnlyList<DepartedConnection> departed;
        do
        {
            departed = await presence.PurgeNodeAsync(node, unlessAliveSince, Batch, cancellationToken);
            await AnnounceAsync(departed);
            forgotten += departed.Count;
        }
        while (departed.Count > 0);

        if (unlessAliveSince is not null)
        {
            Log.DeadNodeForgotten(logger, node, forgotten);
        }
        else if (forgotten > 0)
        {
            Log.LeftoversCleared(logger, node, forgotten);
        }
    }

    // A node that died mid-forget is silent long before its outbox entries are overdue: after its
    // purge is the time to look; the seldom look is for a node whose purge did not get that far.
    private async Task FinishOverdueAsync(bool purged, CancellationToken cancellationToken)
    {
        var now = time.GetTimestamp();
        if (!purged && now < _nextOverdueLook)
        {
            return;
        }

        _nextOverdueLook = now + (long)(OverdueLookInterval.TotalSeconds * time.TimestampFrequency);
        await AnnounceAsync(await presence.FinishOverdueAsync(ForgetOverdue, Batch, cancellationToken));
    }

    private async Task AnnounceAsync(IReadOnlyList<DepartedConnection> departed)
    {
        foreach (var connection in departed)
        {
            await departures.AnnounceDepartureAsync(connection.ConnectionId, connection.User, connection.Groups);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "Node {Node} is gone (signed off, or silent too long); presence forgot it and its {Count} connection(s).")]
        public static partial void DeadNodeForgotten(ILogger logger, string node, int count);

        [LoggerMessage(2, LogLevel.Information, "Cleared {Count} connection(s) that a previous run of node {Node} left in presence.")]
        public static partial void LeftoversCleared(ILogger logger, string node, int count);

        [LoggerMessage(3, LogLevel.Debug, "What a previous run of this node left in presence is cleared once Redis answers; the node lists no connection until then.")]
        public static partial void LeftoversWaitForRedis(ILogger logger);

        [LoggerMessage(4, LogLevel.Warning, "Looking for dead nodes failed; trying again every second, and saying so once it works again.")]
        public static partial void SweepFailed(ILogger logger, Exception exception);

        [LoggerMessage(5, LogLevel.Information, "Looking for dead nodes works again, after {Failures} failed sweep(s).")]
        public static partial void SweepingAgain(ILogger logger, int failures);
    }
}
