using Hub.Server.Core;

namespace Hub.Server.Limits;

internal static class LimitsServiceCollectionExtensions
{
    /// <summary><c>Hub:Limits</c>: sizes, rates and counts, and the rules that enforce them.</summary>
    public static WebApplicationBuilder AddHubLimits(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<LimitsOptions>()
            .BindConfiguration(LimitsOptions.Section)
            .Require(o => o.MaxMessageBytes is > 0 and <= 16 * 1024 * 1024,
                o => $"Hub:Limits:MaxMessageBytes ({o.MaxMessageBytes}) must be between 1 and 16777216.")
            .Require(o => o.MessagesPerSecond > 0, o => $"Hub:Limits:MessagesPerSecond ({o.MessagesPerSecond}) must be greater than 0.")
            .Require(o => o.MaxConnections >= 0, o => $"Hub:Limits:MaxConnections ({o.MaxConnections}) must be 0 (unlimited) or more.")
            .Require(o => o.ConnectsPerSecond >= 0, o => $"Hub:Limits:ConnectsPerSecond ({o.ConnectsPerSecond}) must be 0 (unlimited) or more.")
            .Require(o => o.MaxGroupsPerConnection >= 0, o => $"Hub:Limits:MaxGroupsPerConnection ({o.MaxGroupsPerConnection}) must be 0 (unlimited) or more.")
            .ValidateOnStart();
        services.AddSingleton<InputRules>();
        return builder;
    }
}
