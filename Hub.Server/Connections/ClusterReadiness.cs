using Hub.Server.Backplane;
using Hub.Server.Presence;

namespace Hub.Server.Connections;

/// <summary>
/// Whether the node can serve clients as a cluster member: its backplane takes messages (Redis
/// connected with a primary, the bus subscribed) and it may list connections in presence. One
/// answer for /readyz and for taking a new connection, which without it would fail at its first step.
/// </summary>
internal sealed class ClusterReadiness(IBroker broker, PreviousRunCleared previousRun)
{
    /// <summary>Why the node is not ready, said to an operator or a refused client; null when it is.</summary>
    public string? NotReadyReason =>
        !broker.IsReady ? "The backplane (Redis) is unreachable, has no primary, or this node is not subscribed; sends fail until it is back."
        : !previousRun.IsDone ? "The node is clearing what its previous run left in presence; connects fail until it has."
        : null;
}
