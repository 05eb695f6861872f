using Hub.Server.Core;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Hub.Server.WebSockets;

internal static partial class WebSocketsServiceCollectionExtensions
{
    /// <summary>
    /// Registers the node's edge: Kestrel's options from the <c>Kestrel</c> section (its limits
    /// above all), and <c>Hub:WebSockets</c>, the direct WebSocket path in front of every HTTP
    /// endpoint, when on.
    /// </summary>
    public static WebApplicationBuilder AddHubWebSockets(this WebApplicationBuilder builder)
    {
        // Kestrel itself reads only its endpoints from configuration; its limits
        // (Kestrel__Limits__MaxRequestHeaderCount, …) are bound here, for HTTP and the direct path alike.
        builder.Services.Configure<KestrelServerOptions>(builder.Configuration.GetSection("Kestrel"));
        builder.Services.AddOptions<WebSocketsOptions>().BindConfiguration(WebSocketsOptions.Section).ValidateOnStart();

        // Kestrel's socket transport (every endpoint, and the TCP endpoint's listener) hands each
        // socket's I/O to one of its queues, one per core by default: a broadcast then wakes a
        // worker on every core for its share of the sockets, and the workers spin between
        // messages. Half as many queues let one worker write a message to many sockets in a row
        // and leave the other cores to Redis, the bus and the hub: on 2 cores, fan-out
        // saturation 285 -> 427 and 342 -> 513 messages/s in two A/B runs, CPU per delivery
        // 0.88-0.96 and 0.92-1.01, `publish` and `api` unchanged (0.99, 1.05). Measured on 2 cores only.
        builder.WebHost.UseSockets(o => o.IOQueueCount = Math.Max(1, Environment.ProcessorCount / 2));
        if (!IsDirect(builder.Configuration))
        {
            return builder;
        }

        builder.Services.AddSingleton<NegotiatedConnections>();
        builder.Services.AddSingleton<DirectUpgradeAdmission>();
        builder.Services.AddSingleton<DirectWebSocketTelemetry>();
        // Every endpoint, those from ASPNETCORE_URLS included; on a TLS endpoint it sees only
        // encrypted bytes, no upgrade, and leaves them all to HTTP.
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureEndpointDefaults(listen => listen.Use(next =>
            ActivatorUtilities.CreateInstance<DirectWebSocketMiddleware>(listen.ApplicationServices, next).OnConnectionAsync)));
        return builder;
    }

    /// <summary>
    /// When the direct path is on: notes the ids SignalR's negotiate hands out, for the WebSocket
    /// that follows, and refuses (409, as SignalR does) a request of a connection the direct path
    /// already serves. After authentication, as SignalR's own 409.
    /// </summary>
    public static WebApplication UseHubWebSockets(this WebApplication app)
    {
        if (!IsDirect(app.Configuration))
        {
            return app;
        }

        var negotiated = app.Services.GetRequiredService<NegotiatedConnections>();
        Log.Direct(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DirectWebSocketMiddleware)), HubRoutes.Path);
        app.UseWhen(
            context => HttpMethods.IsPost(context.Request.Method) && context.Request.Path.Equals(HubRoutes.NegotiatePath, StringComparison.OrdinalIgnoreCase),
            branch => branch.Use(async (context, next) =>
            {
                using var captured = await CapturedResponse.RunAsync(context, next);
                if (context.Response.StatusCode == StatusCodes.Status200OK)
                {
                    negotiated.Remember(captured.Body.Span);
                }

                await captured.PassOnAsync(context);
            }));
        app.UseWhen(
            context => context.Request.Path.Equals(HubRoutes.Path, StringComparison.OrdinalIgnoreCase) && context.Request.Query.ContainsKey("id"),
            branch => branch.Use((context, next) =>
            {
                if (negotiated.TryTakeForHttp(context.Request.Query["id"].ToString()))
                {
                    return next(context);
                }

                context.Response.StatusCode = StatusCodes.Status409Conflict;
                context.Response.ContentType = "text/plain";
                return context.Response.WriteAsync("This connection is already open (a WebSocket took its negotiated id).");
            }));
        return app;
    }

    private static bool IsDirect(IConfiguration configuration) =>
        configuration.GetValue($"{WebSocketsOptions.Section}:{nameof(WebSocketsOptions.Direct)}", new WebSocketsOptions().Direct);

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "WebSockets to {Path} are served directly from the socket (Hub:WebSockets:Direct); other transports and refusals through HTTP.")]
        public static partial void Direct(ILogger logger, string path);
    }
}
