using Hub.Server.Limits;
using Microsoft.Extensions.Options;

namespace Hub.Server.Connections;

/// <summary>
/// Whether this node takes a new connection, one answer for every way in (HTTP, WebSocket, TCP):
/// none once it is stopping (a client that reconnects at once must land elsewhere, not on a
/// connection that would hold the shutdown open), none past <c>Hub:Limits:MaxConnections</c>, none
/// while the node is not ready (its Redis away): the connection would fail at its first step, and
/// SignalR closes a connection that failed there for good, so its client would not come back.
/// </summary>
internal sealed class ConnectionAdmission(
    ConnectionRegistry connections,
    ClusterReadiness readiness,
    IOptions<LimitsOptions> limits,
    IHostApplicationLifetime lifetime)
{
    /// <summary>
    /// Why a request is refused, said to its client; null when it is welcome. Requests of a
    /// connection already open (long polling, SSE posts) count against no limit, only the stop.
    /// </summary>
    public string? Refusal(bool startsConnection = true)
    {
        if (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            return "The node is shutting down; connect to another node.";
        }

        if (!startsConnection)
        {
            return null;
        }

        if (readiness.NotReadyReason is { } notReady)
        {
            return notReady;
        }

        var max = limits.Value.MaxConnections;
        return max > 0 && connections.Count >= max
            ? $"This node holds {connections.Count} connections, its limit (Hub:Limits:MaxConnections); connect to another node."
            : null;
    }
}
