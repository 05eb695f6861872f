using Hub.Server.Core;

namespace Hub.Server.Drain;

internal static class DrainServiceCollectionExtensions
{
    public static IServiceCollection AddHubDrain(this IServiceCollection services)
    {
        services.AddOptions<DrainOptions>()
            .BindConfiguration(DrainOptions.Section)
            .Require(o => o.DrainSeconds is >= 0 and <= 3600, o => $"Hub:Shutdown:DrainSeconds ({o.DrainSeconds}) must be between 0 and 3600.")
            .ValidateOnStart();
        services.AddHostedService<NodeDrain>();
        return services;
    }
}
