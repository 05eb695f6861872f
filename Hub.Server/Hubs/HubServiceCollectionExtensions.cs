using Hub.Server.Auth;
using Hub.Server.Connections;
using Hub.Server.Drain;
using Hub.Server.Groups;
using Hub.Server.Limits;
using Hub.Server.Messaging;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;

namespace Hub.Server.Hubs;

internal static class HubServiceCollectionExtensions
{
    public const string Path = "/hub";

    public static WebApplicationBuilder AddRealtimeHub(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddHubLimits();
        services.AddConnectionRegistry();
        services.AddHubDrain();
        services.AddSingleton<MessagePublisher>();
        services.AddSingleton<GroupMembership>();
        services.AddSingleton<HubErrorFilter>();

        services.AddSignalR(o =>
            {
                o.AddFilter<HubErrorFilter>();
                // Binding failures (wrong argument count or types) then say what was wrong;
                // HubErrorFilter keeps unexpected exceptions' details in the server log.
                o.EnableDetailedErrors = true;
            })
            .AddJsonProtocol()
            .AddMessagePackProtocol();
        // After AddSignalR, so it replaces the framework's resolver.
        services.AddSingleton<IHubProtocolResolver, RateLimitingProtocolResolver>();

        services.AddOptions<HubOptions>()
            .Configure<IOptions<LimitsOptions>>((o, limits) =>
            {
                o.MaximumReceiveMessageSize = limits.Value.MaximumReceiveMessageSize;
            });
        return builder;
    }

    public static WebApplication MapRealtimeHub(this WebApplication app)
    {
        var admission = app.Services.GetRequiredService<ConnectionAdmission>();
        app.UseWhen(context => context.Request.Path.StartsWithSegments(Path), branch => branch.Use((context, next) =>
        {
            if (admission.Refusal(StartsConnection(context.Request)) is not { } refusal)
            {
                return next(context);
            }

            context.Response.Headers.RetryAfter = "1";
            return Results.Problem(refusal, statusCode: StatusCodes.Status503ServiceUnavailable).ExecuteAsync(context);
        }));

        // A connection ends when its token expires (Hub:Auth:Mode=Jwt); the client reconnects with a fresh one.
        app.MapHub<RealtimeHub>(Path, o => o.CloseOnAuthenticationExpiration = true).RequireHubAuth();
        return app;
    }

    // A negotiate, or a connect without a negotiated id (skipNegotiation): requests of connections
    // already open (long polling, SSE posts) carry ?id= and are never refused.
    private static bool StartsConnection(HttpRequest request) =>
        request.Path.Equals(Path + "/negotiate", StringComparison.OrdinalIgnoreCase) ||
        (request.Path.Equals(Path, StringComparison.OrdinalIgnoreCase) && !request.Query.ContainsKey("id"));
}
