using Microsoft.Extensions.Options;

namespace Hub.Server.Cors;

internal static class CorsServiceCollectionExtensions
{
    private const string Policy = "hub";

    /// <summary>
    /// The CORS allowlist, for negotiate and the HTTP API, and the same list for WebSocket
    /// upgrades, which browsers open cross-site without asking CORS first.
    /// </summary>
    public static WebApplicationBuilder AddHubCors(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<HubCorsOptions>()
            .BindConfiguration(HubCorsOptions.Section)
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<HubCorsOptions>, HubCorsOptionsValidator>();
        builder.Services.AddSingleton<WebSocketOrigins>();

        builder.Services.AddCors();
        builder.Services.AddOptions<Microsoft.AspNetCore.Cors.Infrastructure.CorsOptions>()
            .Configure<IOptions<HubCorsOptions>>((cors, hub) => cors.AddPolicy(Policy, policy => policy
                .WithOrigins([.. hub.Value.Origins])
                .AllowAnyHeader()
                .AllowAnyMethod()
                // SignalR's negotiate and long polling send cookies (load-balancer affinity) and tokens.
                .AllowCredentials()));
        return builder;
    }

    public static WebApplication UseHubCors(this WebApplication app)
    {
        app.UseCors(Policy);
        return app;
    }

    /// <summary>
    /// Refuses (403) a WebSocket request from an origin not allowed. After <c>UseWebSockets</c>,
    /// whose test of a WebSocket request is the one SignalR's transport then acts on: an
    /// upgrade with any <c>Upgrade</c> list, and HTTP/2's extended CONNECT, with or without TLS.
    /// </summary>
    public static WebApplication UseWebSocketOrigins(this WebApplication app)
    {
        var origins = app.Services.GetRequiredService<WebSocketOrigins>();
        if (origins.IsChecked)
        {
            app.Use((context, next) => context.WebSockets.IsWebSocketRequest && !origins.Allows(context.Request)
                ? Results.Problem(statusCode: StatusCodes.Status403Forbidden,
                    detail: "This origin is not in Hub:Cors:Origins; WebSocket connections from it are refused.").ExecuteAsync(context)
                : next(context));
        }

        return app;
    }
}
