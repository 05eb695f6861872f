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
using Hub.Server.Upstream;
using Hub.Server.Web;
using Hub.Server.WebSockets;
using Microsoft.Extensions.Options;

namespace Hub.Server;

/// <summary>Builds a Hub node. <c>Program</c> runs one; the tests start several in one process.</summary>
internal static class HubServerApp
{
    /// <summary>
    /// Runs a node until it stops. One that cannot start for a reason an operator can act on (an
    /// invalid setting, a port in use) says so on standard error, a line each, and exits with 1.
    /// </summary>
    public static async Task<int> RunAsync(string[] args)
    {
        try
        {
            var app = Build(args);
            // Every option checked before the host starts, so an invalid one never gets as far as
            // the host's own report of a failed start, with its stack.
            app.Services.GetService<IStartupValidator>()?.Validate();
            await app.RunAsync();
            return 0;
        }
        catch (Exception ex) when (StartupFailure.Explain(ex) is { } lines)
        {
            foreach (var line in lines)
            {
                await Console.Error.WriteLineAsync($"Hub cannot start: {line}");
            }

            return 1;
        }
    }

    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        // The host reports a failed start at Error, with the whole stack; RunAsync says why in a
        // line instead. A failed background service is still reported, at Critical.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        configure?.Invoke(builder);

        // Lowest layer first, as the folders depend on each other (docs/architecture.md).
        builder.AddHubCore();
        builder.AddHubUpstream();
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
        builder.AddRealtimeHub();
        builder.AddHubApi();
        builder.AddHubTcp();
        builder.AddHubWebSockets();
        builder.AddHubHealth();
        builder.AddHubTelemetry();

        var app = builder.Build();
        app.UseHubCors();
        app.UseWebSockets();
        app.UseWebSocketOrigins();
        app.UseHubAuth();
        app.UseHubWebSockets();
        app.MapRealtimeHub();
        app.MapHubApi();
        app.MapHubHealth();
        app.MapHubTelemetry();
        app.MapDemoPage();
        return app;
    }
}
