using Hub.Server.Core;

namespace Hub.Server.Presence;

/// <summary>Node liveness for cluster presence: <c>Hub:Presence</c>.</summary>
internal sealed class PresenceOptions
{
    public const string Section = "Hub:Presence";

    /// <summary>How often a node says it is alive.</summary>
    public int HeartbeatSeconds { get; set; } = 5;

    /// <summary>Presence forgets the connections of a node that died within this many seconds of its death.</summary>
    public int NodeTimeoutSeconds { get; set; } = 15;

    /// <summary>
    /// A node whose last heartbeat is older than this is dead. Its death came after that
    /// heartbeat, so a sweep (every second) forgets it within <see cref="NodeTimeoutSeconds"/> of the death.
    /// </summary>
    public TimeSpan DeadAfter => TimeSpan.FromSeconds(NodeTimeoutSeconds - HeartbeatSeconds);
}

internal static class PresenceServiceCollectionExtensions
{
    /// <summary><c>Hub:Presence</c>, the store (in memory, or in Redis for a cluster member) and its gauges.</summary>
    public static WebApplicationBuilder AddHubPresence(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<PresenceOptions>()
            .BindConfiguration(PresenceOptions.Section)
            .Require(o => o.HeartbeatSeconds > 0, o => $"Hub:Presence:HeartbeatSeconds ({o.HeartbeatSeconds}) must be greater than 0.")
            .Require(o => o.NodeTimeoutSeconds > 2 * o.HeartbeatSeconds,
                o => $"Hub:Presence:NodeTimeoutSeconds ({o.NodeTimeoutSeconds}) must be more than twice Hub:Presence:HeartbeatSeconds ({o.HeartbeatSeconds}), so one late heartbeat does not count a node dead.")
            .ValidateOnStart();
        services.AddSingleton<PreviousRunCleared>();
        services.AddSingleton<PresenceMetrics>();
        if (builder.UsesRedis())
        {
            services.AddSingleton<IPresenceStore, RedisPresenceStore>();
        }
        else
        {
            services.AddSingleton<IPresenceStore, InMemoryPresenceStore>();
        }

        return builder;
    }
}
