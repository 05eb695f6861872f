namespace Hub.Server.Limits;

internal static class LimitsServiceCollectionExtensions
{
    public static IServiceCollection AddHubLimits(this IServiceCollection services)
    {
        services.AddOptions<LimitsOptions>()
            .BindConfiguration(LimitsOptions.Section)
            .Validate(o => o.MaxMessageBytes is > 0 and <= 16 * 1024 * 1024,
                "Hub:Limits:MaxMessageBytes must be between 1 and 16777216.")
            .Validate(o => o.MessagesPerSecond > 0, "Hub:Limits:MessagesPerSecond must be greater than 0.")
            .Validate(o => o.MaxConnections >= 0, "Hub:Limits:MaxConnections must be 0 (unlimited) or more.")
            .Validate(o => o.MaxGroupsPerConnection >= 0, "Hub:Limits:MaxGroupsPerConnection must be 0 (unlimited) or more.")
            .ValidateOnStart();
        services.AddSingleton<InputRules>();
        return services;
    }
}
