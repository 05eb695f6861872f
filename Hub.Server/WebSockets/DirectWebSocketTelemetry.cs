using System.Diagnostics;
using System.Diagnostics.Metrics;
using Hub.Server.Core;

namespace Hub.Server.WebSockets;

/// <summary>
/// What HTTP's pipeline reports of a WebSocket, reported for one the direct path serves: the
/// request's start and end in the hosting log category, and its request and connection in the
/// framework's own instruments — <see cref="IMeterFactory"/> hands back the meters the framework
/// created, and a meter the instruments it created under the same name, unit and description —
/// with the tags HTTP gives a WebSocket's request (status 101, route <c>/hub</c>) and connection
/// (transport <c>web_sockets</c>). The request lasts as long as the WebSocket, as on HTTP.
/// </summary>
internal sealed partial class DirectWebSocketTelemetry
{
    private static readonly KeyValuePair<string, object?>[] RequestTags =
    [
        new("url.scheme", Uri.UriSchemeHttp),
        new("http.request.method", HttpMethods.Get),
    ];

    private static readonly KeyValuePair<string, object?>[] CompletedRequestTags =
    [
        .. RequestTags,
        new("network.protocol.version", "1.1"),
        new("http.response.status_code", StatusCodes.Status101SwitchingProtocols),
        new("http.route", HubRoutes.Path),
    ];

    private static readonly KeyValuePair<string, object?> Transport = new("signalr.transport", "web_sockets");

    private readonly UpDownCounter<long> _activeRequests;
    private readonly Histogram<double> _requestDuration;
    private readonly UpDownCounter<long> _activeConnections;
    private readonly Histogram<double> _connectionDuration;
    private readonly ILogger _requests;

    public DirectWebSocketTelemetry(IMeterFactory meters, ILoggerFactory loggers)
    {
        // Name, unit and description exactly as the framework's (ASP.NET Core 10), so these are its instruments.
        var hosting = meters.Create("Microsoft.AspNetCore.Hosting");
        _activeRequests = hosting.CreateUpDownCounter<long>("http.server.active_requests", "{request}", "Number of active HTTP server requests.");
        _requestDuration = hosting.CreateHistogram<double>("http.server.request.duration", "s", "Duration of HTTP server requests.");
        var connections = meters.Create("Microsoft.AspNetCore.Http.Connections");
        _activeConnections = connections.CreateUpDownCounter<long>("signalr.server.active_connections", "{connection}", "Number of connections that are currently active on the server.");
        _connectionDuration = connections.CreateHistogram<double>("signalr.server.connection.duration", "s", "The duration of connections on the server.");
        _requests = loggers.CreateLogger("Microsoft.AspNetCore.Hosting.Diagnostics");
    }

    /// <summary>The WebSocket was answered with 101; returns when, for <see cref="Closed"/>.</summary>
    public long Opened(UpgradeRequest request, string connectionId)
    {
        _activeRequests.Add(1, RequestTags);
        _activeConnections.Add(1, Transport);
        Log.RequestStarting(_requests, request.Headers.Host.ToString(), request.Path, Redacted(request.QueryString), connectionId);
        return Stopwatch.GetTimestamp();
    }

    /// <summary>The WebSocket ended: the node was stopping (<paramref name="shutdown"/>) or not.</summary>
    public void Closed(long opened, string connectionId, bool shutdown, string? reason)
    {
        var seconds = Stopwatch.GetElapsedTime(opened).TotalSeconds;
        _activeRequests.Add(-1, RequestTags);
        _requestDuration.Record(seconds, CompletedRequestTags);
        _activeConnections.Add(-1, Transport);
        _connectionDuration.Record(seconds, new("signalr.connection.status", shutdown ? "app_shutdown" : "normal_closure"), Transport);
        Log.RequestFinished(_requests, connectionId, seconds * 1000, reason ?? "closed by the node");
    }

    // Tokens in a URL end up in logs; this line keeps them out.
    private static string Redacted(string query)
    {
        var start = query.IndexOf("access_token=", StringComparison.OrdinalIgnoreCase);
        if (start < 0)
        {
            return query;
        }

        var end = query.IndexOf('&', start);
        return query[..(start + "access_token=".Length)] + "…" + (end < 0 ? "" : query[end..]);
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Request starting HTTP/1.1 GET http://{Host}{Path}{QueryString} - 101, a WebSocket served directly as connection {ConnectionId}")]
        public static partial void RequestStarting(ILogger logger, string host, string path, string queryString, string connectionId);

        [LoggerMessage(2, LogLevel.Information, "Request finished HTTP/1.1 GET (the WebSocket served directly as connection {ConnectionId}) - 101 - {ElapsedMilliseconds}ms: {Reason}")]
        public static partial void RequestFinished(ILogger logger, string connectionId, double elapsedMilliseconds, string reason);
    }
}
