using Hub.Server.Backplane;
using Hub.Server.Core;
using Hub.Server.History;
using Hub.Server.Messaging;
using Hub.Server.Presence;
using Hub.Server.Recovery;
using Hub.Server.Redis;
using Microsoft.Extensions.DependencyInjection.Extensions;
using StackExchange.Redis;

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
            .Require(o => o.NodeId.Length <= 128 && !o.NodeId.Any(char.IsControl) && !o.NodeId.Contains('/'),
                o => $"Hub:NodeId ('{o.NodeId}') must be 1 to 128 characters, with no control characters and no '/'.")
            .Require(o => !o.UsesRedis || RedisProblem(o.Redis!) is null, o => RedisProblem(o.Redis!)!)
            .ValidateOnStart();

        services.AddHistoryOptions();
        services.AddPresenceOptions();
        // Unless a test brought a clock of its own, which it moves itself.
        services.TryAddSingleton(TimeProvider.System);
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

    // StackExchange.Redis takes a configuration it cannot use without a word ("No endpoints
    // specified" once it connects, far from the key): the node says so at start, without the password.
    private static string? RedisProblem(string redis)
    {
        var shown = System.Text.RegularExpressions.Regex.Replace(redis, "(password=)[^,]*", "$1…", System.Text.RegularExpressions.RegexOptions.IgnoreCase);
        const string Allowed = "host:port, several separated by commas (a cluster's seeds, or Sentinels with serviceName=…), and options as key=value, e.g. 127.0.0.1:6379,password=…";
        try
        {
            return ConfigurationOptions.Parse(redis).EndPoints.Count > 0
                ? null
                : $"Hub:Redis ('{shown}') names no Redis server: write {Allowed}.";
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or RedisConnectionException)
        {
            return $"Hub:Redis ('{shown}') is not a Redis configuration ({ex.Message}): write {Allowed}.";
        }
    }
}
