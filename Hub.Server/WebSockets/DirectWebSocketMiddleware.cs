using System.IO.Pipelines;
using System.Text;
using Hub.Server.Core;
using Hub.Server.Hubs;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;

namespace Hub.Server.WebSockets;

/// <summary>
/// Serves WebSockets to the hub straight from Kestrel's connection, before HTTP: the upgrade is
/// answered here and the socket goes to SignalR's connection handler with WebSocket framing of
/// our own, as the TCP endpoint's sockets do. An idle connection then holds no HTTP request,
/// no WebSocket object and no pipes or send loop between the hub and the socket, which is most
/// of what a SignalR WebSocket costs. Only an upgrade in the narrowest form that the node's own
/// checks admit is served here (<see cref="UpgradeHeadReader"/>, <see cref="DirectUpgradeAdmission"/>);
/// every other request, and every refusal, goes on to HTTP unread, which answers it exactly as
/// it would without this path. The head is read within Kestrel's own time limits.
/// </summary>
internal sealed partial class DirectWebSocketMiddleware(
    ConnectionDelegate next,
    HubConnectionHandler<RealtimeHub> hub,
    DirectUpgradeAdmission admission,
    DirectWebSocketTelemetry telemetry,
    IOptions<KestrelServerOptions> kestrel,
    IHostApplicationLifetime lifetime,
    ILogger<DirectWebSocketMiddleware> logger)
{
    private const string Path = HubRoutes.Path;

    // Kestrel's heartbeat interval, which its timers add to every limit.
    private static readonly TimeSpan KestrelHeartbeat = TimeSpan.FromSeconds(1);

    private readonly KestrelServerOptions _kestrel = kestrel.Value;

    public async Task OnConnectionAsync(ConnectionContext connection)
    {
        // Only what the connection needs from here on lives in this method's state, which an
        // idle connection keeps for its whole life; the request head is read and let go in AcceptAsync.
        // Kestrel's count of upgraded connections cannot include the direct path's: with a limit
        // on it, every WebSocket goes through HTTP, which keeps it.
        var (outcome, accepted, opened) = _kestrel.Limits.MaxConcurrentUpgradedConnections is null
            ? await AcceptAsync(connection)
            : (Outcome.Http, null, 0);
        switch (outcome)
        {
            case Outcome.Http:
                await next(connection);
                return;
            case Outcome.Closed:
                return;
        }

        var socket = new WebSocketConnection(connection.Transport);
        if (accepted!.ExpiresUtc != DateTime.MaxValue)
        {
            // As SignalR's CloseOnAuthenticationExpiration: the client reconnects with a fresh token.
            socket.ExpiresUtc = accepted.ExpiresUtc;
            connection.Features.Get<IConnectionHeartbeatFeature>()?.OnHeartbeat(static state => ((WebSocketConnection)state).EndIfExpired(), socket);
        }

        Exception? error = null;
        try
        {
            await hub.OnConnectedAsync(new DirectConnectionContext(connection, socket, accepted.ConnectionId, accepted.User, accepted.QueryUser, accepted.Query));
        }
        catch (Exception ex)
        {
            error = ex;
            Log.HubFailed(logger, accepted.ConnectionId, ex);
        }

        await socket.CloseAsync(error, connection);
        telemetry.Closed(opened, accepted.ConnectionId, lifetime.ApplicationStopping.IsCancellationRequested, socket.CloseReason);
    }

    // Reads the first request head; an upgrade this path serves is answered (101) and consumed,
    // anything else is left unread for HTTP. As Kestrel does for a connection's first request, a
    // connection that sends nothing within KeepAliveTimeout is closed, and a head not whole within
    // RequestHeadersTimeout of its first byte is answered 408: the same limits, not more time.
    // Kestrel's timer adds one heartbeat (a second) to each limit and looks once a second, so it
    // ends such a connection between one and two seconds past the limit; here, at one.
    private async Task<(Outcome, DirectConnection?, long)> AcceptAsync(ConnectionContext connection)
    {
        var input = connection.Transport.Input;
        var limits = _kestrel.Limits;
        UpgradeRequest? request = null;
        ReadResult result;
        SequencePosition end = default;
        using (var timeout = new CancellationTokenSource(limits.KeepAliveTimeout + KestrelHeartbeat))
        {
            var started = false;
            // A connection that has sent nothing when the node begins to stop is closed then, as
            // Kestrel closes an idle keep-alive connection: waiting out its keep-alive would hold the
            // shutdown (a browser keeps a connection open after loading a page) until the host gives
            // up. One that comes while it stops is read, and refused with a reason.
            var stopped = lifetime.ApplicationStopping;
            using var stopping = stopped.IsCancellationRequested ? default : stopped.Register(() =>
            {
                if (!Volatile.Read(ref started))
                {
                    timeout.Cancel();
                }
            });
            while (true)
            {
                try
                {
                    result = await input.ReadAsync(timeout.Token);
                }
                catch (OperationCanceledException) when (timeout.IsCancellationRequested)
                {
                    if (started)
                    {
                        await RequestTimeoutAsync(connection.Transport.Output);
                    }

                    return (Outcome.Closed, null, 0);
                }

                var buffer = result.Buffer;
                if (!started && !buffer.IsEmpty)
                {
                    Volatile.Write(ref started, true);
                    timeout.CancelAfter(limits.RequestHeadersTimeout + KestrelHeartbeat);
                }

                var status = result.IsCanceled ? HeadStatus.NotServed : UpgradeHeadReader.Read(buffer, Path, limits, out request, out end);
                if (status == HeadStatus.Incomplete && !result.IsCompleted)
                {
                    input.AdvanceTo(buffer.Start, buffer.End);
                    continue;
                }

                if (status != HeadStatus.Upgrade)
                {
                    input.AdvanceTo(buffer.Start);
                    return (Outcome.Http, null, 0);
                }

                break;
            }
        }

        var accepted = await admission.AdmitAsync(request!, connection);
        if (accepted is null)
        {
            input.AdvanceTo(result.Buffer.Start);
            return (Outcome.Http, null, 0);
        }

        input.AdvanceTo(end);
        await connection.Transport.Output.WriteAsync(Encoding.ASCII.GetBytes(
            $"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: {request!.AcceptKey()}\r\n\r\n"));
        return (Outcome.WebSocket, accepted, telemetry.Opened(request, accepted.ConnectionId));
    }

    // Kestrel's answer to a head that took too long, and the end of the connection.
    private Task RequestTimeoutAsync(PipeWriter output)
    {
        var server = _kestrel.AddServerHeader ? "Server: Kestrel\r\n" : "";
        return output.WriteAsync(Encoding.ASCII.GetBytes(
            $"HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\nConnection: close\r\nDate: {DateTime.UtcNow:R}\r\n{server}\r\n")).AsTask();
    }

    private enum Outcome
    {
        Http,
        WebSocket,
        Closed,
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Error, "The hub failed on direct WebSocket {ConnectionId}.")]
        public static partial void HubFailed(ILogger logger, string connectionId, Exception exception);
    }
}
