using Hub.Server.Core;

namespace Hub.Server.Drain;

internal static class DrainServiceCollectionExtensions
{
    /// <summary><c>Hub:Shutdown</c>: on SIGTERM, the node sends its clients elsewhere before it stops.</summary>
    public static WebApplicationBuilder AddHubDrain(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<DrainOptions>()
            .BindConfiguration(DrainOptions.Section)
            .Require(o => o.DrainSeconds is >= 0 and <= 3600, o => $"Hub:Shutdown:DrainSeconds ({o.DrainSeconds}) must be between 0 and 3600.")
            .ValidateOnStart();
        services.AddHostedService<NodeDrain>();
        return builder;
    }
}
