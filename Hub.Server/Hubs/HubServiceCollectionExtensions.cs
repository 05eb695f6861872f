using System.Globalization;
using Hub.Client.Internal;
using Hub.Server.Auth;
using Hub.Server.Coalescing;
using Hub.Server.Connections;
using Hub.Server.Core;
using Hub.Server.Handlers;
using Hub.Server.Limits;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;

namespace Hub.Server.Hubs;

internal static class HubServiceCollectionExtensions
{
    /// <summary>The hub at <c>/hub</c> on SignalR: its protocols, filters and limits, and the way the parts below reach its connections.</summary>
    public static WebApplicationBuilder AddHubSignalR(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton<ILocalClients, HubLocalClients>();
        services.AddSingleton<HubErrorFilter>();
        services.AddSingleton<CallOrderFilter>();

        services.AddSignalR(o =>
            {
                o.AddFilter<HubErrorFilter>();
                // A connection's calls run side by side, taking effect in the order they came
                // (CallOrderFilter): a client sending without awaiting each answer has its
                // messages on their way to Redis together, not one per round trip.
                o.AddFilter<CallOrderFilter>();
                o.MaximumParallelInvocationsPerClient = CallOrder.MaxInFlight;
                // Binding failures (wrong argument count or types) then say what was wrong;
                // HubErrorFilter keeps unexpected exceptions' details in the server log.
                o.EnableDetailedErrors = true;
            })
            .AddJsonProtocol()
            // Message data as MessagePack values to MessagePack clients, and theirs as JSON to everyone else.
            .AddMessagePackProtocol(o => o.SerializerOptions = JsonDataFormatter.Carrying(o.SerializerOptions));
        // After AddSignalR, so it replaces the framework's resolver.
        services.AddSingleton<IHubProtocolResolver, RateLimitingProtocolResolver>();
        // Every transport's connections with their output coalesced; the framework's handler otherwise.
        services.AddSingleton<HubConnectionHandler<RealtimeHub>, CoalescingHubConnectionHandler>();

        services.AddOptions<HubOptions>()
            .Configure<IOptions<LimitsOptions>>((o, limits) =>
            {
                o.MaximumReceiveMessageSize = limits.Value.MaximumReceiveMessageSize;
            });
        return builder;
    }

    public static WebApplication MapHubSignalR(this WebApplication app)
    {
        var admission = app.Services.GetRequiredService<ConnectionAdmission>();
        app.UseWhen(context => context.Request.Path.StartsWithSegments(HubRoutes.Path), branch => branch.Use((context, next) =>
        {
            if (admission.Refusal(StartsConnection(context.Request)) is not { } refusal)
            {
                return next(context);
            }

            context.Response.Headers.RetryAfter = ConnectionAdmission.RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            return Results.Problem(refusal.Message, statusCode: refusal.StatusCode).ExecuteAsync(context);
        }));
        if (app.Services.GetRequiredService<ApplicationHandler>().Handler is not null)
        {
            app.UseWhen(
                context => HttpMethods.IsPost(context.Request.Method) && context.Request.Path.Equals(HubRoutes.NegotiatePath, StringComparison.OrdinalIgnoreCase),
                branch => branch.UseMiddleware<NegotiateDecision>());
        }

        // A connection ends when its token expires (Hub:Auth:Mode=Jwt); the client reconnects with a fresh one.
        app.MapHub<RealtimeHub>(HubRoutes.Path, o => o.CloseOnAuthenticationExpiration = true).RequireHubAuth();
        return app;
    }

    // A negotiate, or a connect without a negotiated id (skipNegotiation): requests of connections
    // already open (long polling, SSE posts) carry ?id= and are never refused.
    private static bool StartsConnection(HttpRequest request) =>
        request.Path.Equals(HubRoutes.NegotiatePath, StringComparison.OrdinalIgnoreCase) ||
        (request.Path.Equals(HubRoutes.Path, StringComparison.OrdinalIgnoreCase) && !request.Query.ContainsKey("id"));
}
