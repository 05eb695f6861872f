using Microsoft.AspNetCore.SignalR;

namespace Hub.Server.Connections;

internal static class ConnectionsServiceCollectionExtensions
{
    /// <summary>
    /// The node's own connections: the registry, their streams, admission and readiness, and
    /// <typeparamref name="THub"/>'s lifetime manager replaced with one that also keeps the
    /// registry (the closed generic wins over the framework's open one).
    /// </summary>
    public static WebApplicationBuilder AddHubConnections<THub>(this WebApplicationBuilder builder)
        where THub : Microsoft.AspNetCore.SignalR.Hub
    {
        var services = builder.Services;
        services.AddSingleton<LocalStreams>();
        services.AddSingleton<ConnectionRegistry>();
        services.AddSingleton<ClusterReadiness>();
        services.AddSingleton<ConnectionAdmission>();
        services.AddSingleton<HubLifetimeManager<THub>, RegisteringHubLifetimeManager<THub>>();
        return builder;
    }
}
