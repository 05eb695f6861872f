namespace Hub.Server.Cluster;

internal static class ClusterServiceCollectionExtensions
{
    /// <summary>
    /// The node's life in the cluster: its heartbeat, and the sweep that forgets nodes that died
    /// (and what this node's previous run left). After the bus's subscription, among the hosted
    /// services: clearing leftovers announces departures on the bus.
    /// </summary>
    public static WebApplicationBuilder AddHubCluster(this WebApplicationBuilder builder)
    {
        builder.Services.AddHostedService<NodeHeartbeat>();
        builder.Services.AddHostedService<DeadNodeSweeper>();
        return builder;
    }
}
