using Hub.Server.Connections;
using Hub.Server.Core;
using Hub.Server.Groups;
using Hub.Server.Presence;
using Microsoft.Extensions.Options;

namespace Hub.Server.Cluster;

/// <summary>
/// Says every <c>Hub:Presence:HeartbeatSeconds</c> that this node is alive, and counts the
/// cluster for the metrics. When a beat finds that the cluster had forgotten the node — Redis
/// came back empty, or the node was silent long enough to be counted dead — it registers the
/// node's open connections and their groups again, so they stay reachable without reconnecting;
/// and it takes out of presence the connections that closed while Redis could not be reached.
/// On a clean stop it signs the node off.
/// </summary>
internal sealed partial class NodeHeartbeat(
    IPresenceStore presence,
    ConnectionRegistry connections,
    ConnectionDepartures departures,
    PresenceMetrics presenceMetrics,
    IOptions<PresenceOptions> options,
    IOptions<ClusterOptions> cluster,
    ILogger<NodeHeartbeat> logger)
    : QuietlyStoppingService
{
    protected override async Task RunAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.HeartbeatSeconds));
        var first = true;
        do
        {
            try
            {
                var known = await presence.HeartbeatAsync(stoppingToken);
                if (!known && !first)
                {
                    await RegisterAgainAsync(stoppingToken);
                }

                // Redis answers again: what closed while it did not is taken out of presence now
                // (a second's worth per beat, far less than the silence that counts a node dead).
                await departures.ForgetPendingAsync(TimeSpan.FromSeconds(1), stoppingToken);

                first = false;
                // The live nodes gauge comes from the same beat (one command: a beat reading the
                // hub snapshot's O(partitions) counts would cost every node that many commands every
                // beat); the connections gauge counts at every scrape.
                presenceMetrics.NodesCounted(await presence.CountLiveNodesAsync(stoppingToken));
            }
            catch (BackplaneUnavailableException)
            {
                // Redis is away: the connection to it says so, once for the outage.
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Log.HeartbeatFailed(logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        try
        {
            await presence.SignOffAsync(cancellationToken).WaitAsync(TimeSpan.FromSeconds(2), cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Then the other nodes count this one dead after the usual silence.
            Log.SignOffFailed(logger, ex);
        }
    }

    private async Task RegisterAgainAsync(CancellationToken cancellationToken)
    {
        var local = connections.All;
        Log.Forgotten(logger, local.Count);
        foreach (var connection in local)
        {
            var context = connection.Context;
            var entry = new ConnectionEntry(context.ConnectionId, context.UserIdentifier, cluster.Value.NodeId);
            await presence.AddConnectionAsync(entry, cancellationToken);
            // Only real groups: the node-local group of a user's connections is not presence.
            foreach (var group in connection.Groups.Where(NameRules.IsValidName))
            {
                await presence.JoinAsync(group, entry, maxGroupsPerConnection: 0, cancellationToken);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "The node heartbeat failed; other nodes will count this node dead if it keeps failing.")]
        public static partial void HeartbeatFailed(ILogger logger, Exception exception);

        [LoggerMessage(2, LogLevel.Warning,
            "The cluster had forgotten this node (Redis restarted empty, or the node was silent long enough to be counted dead); registering its {Count} connection(s) again.")]
        public static partial void Forgotten(ILogger logger, int count);

        [LoggerMessage(3, LogLevel.Warning, "Signing the node off the cluster failed; other nodes will count it dead after the usual silence.")]
        public static partial void SignOffFailed(ILogger logger, Exception exception);
    }
}
