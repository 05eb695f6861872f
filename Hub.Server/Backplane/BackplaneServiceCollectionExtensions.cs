using Hub.Server.Core;

namespace Hub.Server.Backplane;

internal static class BackplaneServiceCollectionExtensions
{
    /// <summary>The bus between nodes: in memory for one node, Redis pub/sub with the publish script for a cluster member.</summary>
    public static WebApplicationBuilder AddHubBackplane(this WebApplicationBuilder builder)
    {
        if (builder.UsesRedis())
        {
            builder.Services.AddSingleton<KnownPositions>();
            builder.Services.AddSingleton<BusTraffic>();
            builder.Services.AddSingleton<IBroker, RedisBroker>();
        }
        else
        {
            builder.Services.AddSingleton<IBroker, InMemoryBroker>();
        }

        return builder;
    }
}
