using System.Diagnostics.Metrics;
using Hub.Server.Core;

namespace Hub.Server.Presence;

/// <summary>
/// The cluster as presence counts it, on Hub's meter: <c>hub.presence.connections</c> (counted at
/// every scrape) and <c>hub.presence.nodes</c> (as the heartbeat last counted them).
/// </summary>
internal sealed partial class PresenceMetrics
{
    // The scrape waits for the cluster's connection count; past this it reports the last count known.
    private static readonly TimeSpan CountTimeout = TimeSpan.FromSeconds(1);

    private readonly IPresenceStore _presence;
    private readonly ILogger<PresenceMetrics> _logger;
    private long _clusterConnections;
    private long _liveNodes;

    public PresenceMetrics(IMeterFactory meterFactory, IPresenceStore presence, ILogger<PresenceMetrics> logger)
    {
        _presence = presence;
        _logger = logger;
        var meter = meterFactory.Create(HubMetrics.MeterName);
        meter.CreateObservableGauge("hub.presence.connections", CountClusterConnections, "{connection}",
            "Connections in the whole cluster, counted at every scrape.");
        meter.CreateObservableGauge("hub.presence.nodes", () => Volatile.Read(ref _liveNodes), "{node}",
            "Live nodes in the cluster, as presence last counted them.");
    }

    /// <summary>The heartbeat's count of the live nodes. (A scrape that presence cannot answer reports the last connection count a scrape had.)</summary>
    public void NodesCounted(long nodes) => Volatile.Write(ref _liveNodes, nodes);

    // A count the heartbeat stored would lag connections by up to a beat, so the scrape asks
    // presence itself: O(1) counts (an HLEN per partition in Redis, one batch). It runs on the scrape's thread, which waits
    // for it, so it is bounded, and it never throws: without an answer in time (Redis away or
    // failing over) the scrape reports the last count known.
    private long CountClusterConnections()
    {
        try
        {
            using var timeout = new CancellationTokenSource(CountTimeout);
            var count = _presence.CountConnectionsAsync(timeout.Token).WaitAsync(timeout.Token).GetAwaiter().GetResult();
            Volatile.Write(ref _clusterConnections, count);
            return count;
        }
        catch (Exception ex)
        {
            Log.ClusterCountFailed(_logger, ex);
            return Volatile.Read(ref _clusterConnections);
        }
    }

    private static partial class Log
    {
        // Debug: while Redis is away every scrape fails, and the Redis connection already says why.
        [LoggerMessage(1, LogLevel.Debug, "Presence did not count the cluster's connections for the metrics; reporting the last count known.")]
        public static partial void ClusterCountFailed(ILogger logger, Exception exception);
    }
}
