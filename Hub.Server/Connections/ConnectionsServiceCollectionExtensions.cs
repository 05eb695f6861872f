using Hub.Server.Hubs;
using Microsoft.AspNetCore.SignalR;

namespace Hub.Server.Connections;

internal static class ConnectionsServiceCollectionExtensions
{
    /// <summary>
    /// Replaces the framework's lifetime manager for the hub with one that also keeps the node's
    /// <see cref="ConnectionRegistry"/>. The closed generic wins over the framework's open one.
    /// </summary>
    public static IServiceCollection AddConnectionRegistry(this IServiceCollection services)
    {
        services.AddSingleton<LocalStreams>();
        services.AddSingleton<ConnectionRegistry>();
        services.AddSingleton<ConnectionAdmission>();
        services.AddSingleton<HubLifetimeManager<RealtimeHub>, RegisteringHubLifetimeManager>();
        return services;
    }
}
