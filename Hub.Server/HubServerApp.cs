using Hub.Server.Cluster;
using Hub.Server.Hubs;
using Hub.Server.Web;

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

        var app = builder.Build();
        app.UseWebSockets();
        app.MapRealtimeHub();
        app.MapDemoPage();
        return app;
    }
}
