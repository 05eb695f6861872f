using Hub.Server.Upstream;
using Hub.Server.Web;
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

        // The stand-alone server's handler: the application's backend, when Hub:Upstream:Url names one.
        // First: its disconnect sender, registered before every other background service, stops after them.
        builder.AddHubUpstream();
        builder.AddRealtimeHub();

        var app = builder.Build();
        app.MapRealtimeHub();
        app.MapDemoPage();
        return app;
    }
}
