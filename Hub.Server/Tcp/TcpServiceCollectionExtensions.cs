using Microsoft.Extensions.Options;

namespace Hub.Server.Tcp;

internal static class TcpServiceCollectionExtensions
{
    public static WebApplicationBuilder AddHubTcp(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<TcpOptions>()
            .BindConfiguration(TcpOptions.Section)
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<TcpOptions>, TcpOptionsValidator>();
        if (builder.Configuration.GetValue<int>($"{TcpOptions.Section}:Port") > 0)
        {
            services.AddSingleton<TcpAuthFrame>();
            // Before the endpoint: hosted services stop in reverse, so the heartbeat goes on
            // ticking while the endpoint's connections end.
            services.AddSingleton<TcpHeartbeat>();
            services.AddHostedService(sp => sp.GetRequiredService<TcpHeartbeat>());
            services.AddSingleton<TcpEndpoint>();
            services.AddHostedService(sp => sp.GetRequiredService<TcpEndpoint>());
        }

        return builder;
    }
}
