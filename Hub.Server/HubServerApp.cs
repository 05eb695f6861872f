using Hub.Server.Api;
using Hub.Server.Auth;
using Hub.Server.Cluster;
using Hub.Server.Cors;
using Hub.Server.Health;
using Hub.Server.Hubs;
using Hub.Server.Tcp;
using Hub.Server.Telemetry;
using Hub.Server.Web;
using Hub.Server.WebSockets;

namespace Hub.Server;

/// <summary>Builds a Hub node. <c>Program</c> runs one; the tests start several in one process.</summary>
internal static class HubServerApp
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        configure?.Invoke(builder);

        builder.AddHubCluster();
        builder.AddRealtimeHub();
        builder.AddHubApi();
        builder.AddHubAuth();
        builder.AddHubCors();
        builder.AddHubHealth();
        builder.AddHubTelemetry();
        builder.AddHubTcp();
        builder.AddHubWebSockets();

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
