using Hub.Server.Api;
using Hub.Server.Auth;
using Hub.Server.Backplane;
using Hub.Server.Cluster;
using Hub.Server.Connections;
using Hub.Server.Core;
using Hub.Server.Cors;
using Hub.Server.Delivery;
using Hub.Server.Drain;
using Hub.Server.Groups;
using Hub.Server.Handlers;
using Hub.Server.Health;
using Hub.Server.History;
using Hub.Server.Hubs;
using Hub.Server.Limits;
using Hub.Server.Messaging;
using Hub.Server.Presence;
using Hub.Server.Recovery;
using Hub.Server.Redis;
using Hub.Server.Tcp;
using Hub.Server.Telemetry;
using Hub.Server.WebSockets;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Hub.Server;

/// <summary>
/// Hub inside an ASP.NET Core application (library mode): the same node as the stand-alone
/// server, with the hub at <c>/hub</c>, the HTTP API, clustering over <c>Hub:Redis</c>, presence,
/// history and limits, configured from the application's <c>Hub:…</c> settings, and the
/// application's own <see cref="IHubHandler"/>.
/// </summary>
public static class RealtimeHubExtensions
{
    /// <summary>
    /// Registers every part of a Hub node. Register the application's handler with
    /// <see cref="RealtimeHubOptions.UseHandler{THandler}"/> (or as the singleton <see cref="IHubHandler"/>);
    /// without one, nothing of the handler runs.
    /// </summary>
    public static WebApplicationBuilder AddRealtimeHub(this WebApplicationBuilder builder, Action<RealtimeHubOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = new RealtimeHubOptions();
        configure?.Invoke(options);
        if (options.HandlerType is { } handler)
        {
            // The application's handler wins over any other (the upstream webhooks register theirs with TryAdd).
            builder.Services.RemoveAll<IHubHandler>();
            builder.Services.AddSingleton(typeof(IHubHandler), handler);
        }

        // Lowest layer first, as the folders depend on each other (docs/architecture.md).
        builder.AddHubCore();
        builder.AddHubHandlers();
        builder.AddHubRedis();
        builder.AddHubHistory();
        builder.AddHubPresence();
        builder.AddHubBackplane();
        builder.AddHubLimits();
        builder.AddHubConnections<RealtimeHub>();
        builder.AddHubDrain();
        builder.AddHubMessaging();
        builder.AddHubRecovery();
        builder.AddHubDelivery();
        builder.AddHubGroups();
        builder.AddHubCluster();
        builder.AddHubCors();
        builder.AddHubAuth();
        builder.AddHubSignalR();
        builder.AddHubApi();
        builder.AddHubTcp();
        builder.AddHubWebSockets();
        builder.AddHubHealth();
        builder.AddHubTelemetry();
        return builder;
    }

    /// <summary>
    /// Adds Hub's middleware (CORS, WebSockets and their origins, auth) and endpoints: the hub at
    /// <c>/hub</c>, the HTTP API at <c>/api/v1</c>, <c>/healthz</c>, <c>/readyz</c> and <c>/metrics</c>.
    /// Call it before the application's own endpoints that need authentication.
    /// </summary>
    public static WebApplication MapRealtimeHub(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseHubCors();
        app.UseWebSockets();
        app.UseWebSocketOrigins();
        app.UseHubAuth();
        app.UseHubWebSockets();
        app.MapHubSignalR();
        app.MapHubApi();
        app.MapHubHealth();
        app.MapHubTelemetry();
        return app;
    }
}
