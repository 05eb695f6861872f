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
        var origins = app.Services.GetRequiredService<IOptions<HubCorsOptions>>().Value.Origins;
        if (origins.Count > 0)
        {
            var allowed = origins.ToHashSet(StringComparer.OrdinalIgnoreCase);
            app.Use((context, next) => IsRefusedWebSocket(context, allowed)
                ? Results.Problem(statusCode: StatusCodes.Status403Forbidden,
                    detail: "This origin is not in Hub:Cors:Origins; WebSocket connections from it are refused.").ExecuteAsync(context)
                : next(context));
        }

        return app;
    }

    // The node's own pages (same host) are always allowed; other sites only when listed.
    private static bool IsRefusedWebSocket(HttpContext context, HashSet<string> allowed) =>
        string.Equals(context.Request.Headers.Upgrade, "websocket", StringComparison.OrdinalIgnoreCase) &&
        context.Request.Headers.Origin.ToString() is { Length: > 0 } origin &&
        !allowed.Contains(origin) &&
        !(Uri.TryCreate(origin, UriKind.Absolute, out var uri) && string.Equals(uri.Authority, context.Request.Host.Value, StringComparison.OrdinalIgnoreCase));
}
