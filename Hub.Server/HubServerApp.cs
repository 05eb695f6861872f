using Hub.Server.Api;
using Hub.Server.Cluster;
using Hub.Server.Hubs;

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

        var app = builder.Build();
        app.UseWebSockets();
        app.MapRealtimeHub();
        app.MapHubApi();
        return app;
    }
}
