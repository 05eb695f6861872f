using Hub.Server.Backplane;
using Hub.Server.History;
using Hub.Server.Messaging;
using Hub.Server.Presence;
using Hub.Server.Recovery;
using Hub.Server.Redis;

namespace Hub.Server.Cluster;

internal static class ClusterServiceCollectionExtensions
{
    /// <summary>
    /// Chooses the embedded (in-memory) or the Redis implementation of every cluster concern
    /// from <c>Hub:Redis</c>. Everything above these interfaces runs the same code in both modes.
    /// </summary>
    public static WebApplicationBuilder AddHubCluster(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<ClusterOptions>()
            .BindConfiguration(ClusterOptions.Section)
            .PostConfigure(o =>
            {
                if (string.IsNullOrWhiteSpace(o.NodeId))
                {
                    o.NodeId = $"{Environment.MachineName.ToLowerInvariant()}-{Guid.NewGuid().ToString("N")[..6]}";
                }
            })
            .Validate(o => o.NodeId.Length <= 128 && !o.NodeId.Any(char.IsControl) && !o.NodeId.Contains('/'),
                "Hub:NodeId must be 1 to 128 characters, with no control characters and no '/'.")
            .ValidateOnStart();

        services.AddHistoryOptions();
        services.AddPresenceOptions();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<PreviousRunCleared>();
        services.AddSingleton<ClusterReadiness>();

        var usesRedis = !string.IsNullOrWhiteSpace(builder.Configuration[$"{ClusterOptions.Section}:Redis"]);
        if (usesRedis)
        {
            services.AddSingleton<RedisConnection>();
            services.AddHostedService(sp => sp.GetRequiredService<RedisConnection>());
            services.AddSingleton<KnownPositions>();
            services.AddSingleton<IBroker, RedisBroker>();
            services.AddSingleton<IPresenceStore, RedisPresenceStore>();
            services.AddSingleton<IHistoryStore, RedisHistoryStore>();
        }
        else
        {
            services.AddSingleton<InMemoryHistoryStore>();
            services.AddSingleton<IHistoryStore>(sp => sp.GetRequiredService<InMemoryHistoryStore>());
            services.AddSingleton<IBroker, InMemoryBroker>();
            services.AddSingleton<IPresenceStore, InMemoryPresenceStore>();
        }

        // Hosted services start in registration order, after the Redis connection and before
        // Kestrel accepts the first client: the bus is subscribed by then.
        services.AddHostedService<NodeHeartbeat>();
        services.AddSingleton<ResumingConnections>();
        services.AddSingleton<StreamRecovery>();
        services.AddSingleton<LocalFanout>();
        services.AddSingleton<BusGapRecovery>();
        services.AddSingleton<LocalDelivery>();
        services.AddHostedService<BackplaneSubscription>();
        // After the subscription: clearing a previous run's leftovers announces departures on the bus.
        services.AddHostedService<DeadNodeSweeper>();
        services.AddHostedService(sp => sp.GetRequiredService<BusGapRecovery>());
        return builder;
    }
}
