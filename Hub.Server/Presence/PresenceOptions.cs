namespace Hub.Server.Presence;

/// <summary>Node liveness for cluster presence: <c>Hub:Presence</c>.</summary>
internal sealed class PresenceOptions
{
    public const string Section = "Hub:Presence";

    /// <summary>How often a node says it is alive.</summary>
    public int HeartbeatSeconds { get; set; } = 5;

    /// <summary>A node silent this long is dead: its connections leave presence.</summary>
    public int NodeTimeoutSeconds { get; set; } = 15;
}

internal static class PresenceServiceCollectionExtensions
{
    public static IServiceCollection AddPresenceOptions(this IServiceCollection services)
    {
        services.AddOptions<PresenceOptions>()
            .BindConfiguration(PresenceOptions.Section)
            .Validate(o => o.HeartbeatSeconds > 0, "Hub:Presence:HeartbeatSeconds must be greater than 0.")
            .Validate(o => o.NodeTimeoutSeconds > o.HeartbeatSeconds,
                "Hub:Presence:NodeTimeoutSeconds must be greater than Hub:Presence:HeartbeatSeconds.")
            .ValidateOnStart();
        return services;
    }
}
