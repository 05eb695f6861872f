using Hub.Server.Telemetry;
using Microsoft.Extensions.Options;

namespace Hub.Server.Presence;

/// <summary>Says every <c>Hub:Presence:HeartbeatSeconds</c> that this node is alive, and counts the cluster for the metrics.</summary>
internal sealed partial class NodeHeartbeat(
    IPresenceStore presence,
    HubMetrics metrics,
    IOptions<PresenceOptions> options,
    ILogger<NodeHeartbeat> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.HeartbeatSeconds));
        do
        {
            try
            {
                await presence.HeartbeatAsync(stoppingToken);
                // The cluster-wide gauges come from the same beat: one snapshot per heartbeat, not per scrape.
                var cluster = await presence.GetSnapshotAsync(null, stoppingToken);
                metrics.ClusterCounted(cluster.Connections, cluster.Nodes.Count);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Log.HeartbeatFailed(logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Warning, "The node heartbeat failed; other nodes will count this node dead if it keeps failing.")]
        public static partial void HeartbeatFailed(ILogger logger, Exception exception);
    }
}
