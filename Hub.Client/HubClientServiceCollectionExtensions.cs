using Hub.Client;
using Microsoft.Extensions.Logging;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers <see cref="HubClient"/> for dependency injection.</summary>
public static class HubClientServiceCollectionExtensions
{
    /// <summary>Adds one <see cref="HubClient"/> singleton configured by <paramref name="configure"/>; call <see cref="HubClient.StartAsync"/> before use.</summary>
    public static IServiceCollection AddHubClient(this IServiceCollection services, Action<HubClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        services.AddSingleton(sp =>
        {
            var options = new HubClientOptions();
            configure(options);
            return new HubClient(options, sp.GetService<ILoggerFactory>());
        });
        return services;
    }
}
