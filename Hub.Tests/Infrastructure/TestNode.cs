using Hub.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Hub.Tests.Infrastructure;

/// <summary>Builds a web application from its arguments, with a last say on its builder.</summary>
public delegate WebApplication AppBuilder(string[] args, Action<WebApplicationBuilder>? configure);

/// <summary>A real Hub node (Kestrel on 127.0.0.1) running in the test process.</summary>
public sealed class TestNode : HubNode, IAsyncDisposable
{
    private readonly WebApplication _app;
    private bool _stopped;

    private TestNode(WebApplication app, Uri baseUrl, string nodeId) : base(baseUrl, nodeId)
    {
        _app = app;
    }

    public IServiceProvider Services => _app.Services;

    /// <summary>
    /// Starts a node. <paramref name="port"/> 0 picks a free port; <paramref name="logs"/> also
    /// receives what it logs; <paramref name="configure"/> sees the builder last (its own endpoints, or
    /// what configuration does not reach, such as SignalR's <c>HubOptions</c>); <paramref name="app"/>
    /// builds the application the node is (the stand-alone server's by default, or one with Hub inside).
    /// </summary>
    public static async Task<TestNode> StartAsync(
        string nodeId, IReadOnlyDictionary<string, string?> settings, int port = 0, ILoggerProvider? logs = null, Action<WebApplicationBuilder>? configure = null,
        AppBuilder? app = null)
    {
        // The test host's content root is not Hub.Server's: serve the demo page from its source
        // wwwroot, where the build put the browser client, as dotnet run does.
        var started = (app ?? HubServerApp.Build)(["--webroot", RepoPaths.DemoWebRoot], builder =>
        {
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Hub:NodeId"] = nodeId,
                ["Logging:LogLevel:Default"] = "Warning",
                ["Logging:LogLevel:Microsoft.AspNetCore"] = "Error",
                // Stopping a node drains it; tests stop nodes often and need not wait the default 10 s.
                ["Hub:Shutdown:DrainSeconds"] = "2",
            });
            builder.Configuration.AddInMemoryCollection(settings);
            builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
            if (logs is not null)
            {
                builder.Logging.AddProvider(logs);
            }

            configure?.Invoke(builder);
        });
        await started.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var address = started.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new TestNode(started, new Uri(address), nodeId);
    }

    public async Task StopAsync()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        await _app.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _app.DisposeAsync();
    }
}
