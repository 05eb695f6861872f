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
        var origins = app.Services.GetRequiredService<WebSocketOrigins>();
        if (origins.IsChecked)
        {
            app.Use((context, next) => IsRefusedWebSocket(context, origins)
                ? Results.Problem(statusCode: StatusCodes.Status403Forbidden,
                    detail: "This origin is not in Hub:Cors:Origins; WebSocket connections from it are refused.").ExecuteAsync(context)
                : next(context));
        }

        return app;
    }

    private static bool IsRefusedWebSocket(HttpContext context, WebSocketOrigins origins) =>
        string.Equals(context.Request.Headers.Upgrade, "websocket", StringComparison.OrdinalIgnoreCase) &&
        !origins.Allows(context.Request.Headers.Origin.ToString(), context.Request.Host.Value);
}
