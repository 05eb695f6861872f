using System.IO.Pipelines;
using System.Security.Claims;
using System.Text;
using Hub.Server.Auth;
using Hub.Server.Connections;
using Hub.Server.Cors;
using Hub.Server.Hubs;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;

namespace Hub.Server.WebSockets;

/// <summary>
/// Serves WebSockets to the hub straight from Kestrel's connection, before HTTP: the upgrade is
/// answered here and the socket goes to SignalR's connection handler with WebSocket framing of
/// our own, as the TCP endpoint's sockets do. An idle connection then holds no HTTP request,
/// no WebSocket object and no pipes or send loop between the hub and the socket, which is most
/// of what a SignalR WebSocket costs. Only an upgrade that would surely be accepted is served
/// here; every other request, and every refusal (origin, token, limits, a stop), goes on to
/// HTTP unread, which answers it exactly as before.
/// </summary>
internal sealed partial class DirectWebSocketMiddleware(
    ConnectionDelegate next,
    HubConnectionHandler<RealtimeHub> hub,
    ConnectionAdmission admission,
    WebSocketOrigins origins,
    HubTokenValidator tokens,
    NegotiatedConnections negotiated,
    IOptions<AuthOptions> auth,
    ILogger<DirectWebSocketMiddleware> logger)
{
    /// <summary>How long a connection may take to send its first request head before it is left to HTTP's own timeouts.</summary>
    public static readonly TimeSpan HeadTimeout = TimeSpan.FromSeconds(10);

    private const string Path = HubServiceCollectionExtensions.Path;

    public async Task OnConnectionAsync(ConnectionContext connection)
    {
        // Only what the connection needs from here on lives in this method's state, which an
        // idle connection keeps for its whole life; the request head is read and let go in AcceptAsync.
        var accepted = await AcceptAsync(connection);
        if (accepted is null)
        {
            await next(connection);
            return;
        }

        var socket = new WebSocketConnection(connection.Transport);
        if (accepted.ExpiresUtc != DateTime.MaxValue)
        {
            // As SignalR's CloseOnAuthenticationExpiration: the client reconnects with a fresh token.
            socket.ExpiresUtc = accepted.ExpiresUtc;
            connection.Features.Get<IConnectionHeartbeatFeature>()?.OnHeartbeat(static state => ((WebSocketConnection)state).EndIfExpired(), socket);
        }

        Exception? error = null;
        try
        {
            await hub.OnConnectedAsync(new DirectConnectionContext(connection, socket, accepted.ConnectionId, accepted.User, accepted.QueryUser));
        }
        catch (Exception ex)
        {
            error = ex;
            Log.HubFailed(logger, accepted.ConnectionId, ex);
        }

        await socket.CloseAsync(error, connection);
        if (socket.CloseReason is { } reason)
        {
            Log.Closed(logger, accepted.ConnectionId, reason);
        }
    }

    // Reads the first request head; an upgrade this path serves is answered (101) and consumed,
    // anything else is left unread for HTTP (null).
    private async Task<Accepted?> AcceptAsync(ConnectionContext connection)
    {
        var input = connection.Transport.Input;
        ReadResult result;
        UpgradeRequest? request = null;
        SequencePosition end = default;
        using (var timeout = new CancellationTokenSource(HeadTimeout))
        {
            while (true)
            {
                try
                {
                    result = await input.ReadAsync(timeout.Token);
                }
                catch (OperationCanceledException)
                {
                    return null;
                }

                var buffer = result.Buffer;
                if (result.IsCanceled || !UpgradeRequest.CanBe(buffer, Path) ||
                    UpgradeRequest.TryRead(buffer, Path, out request, out end) ||
                    buffer.Length > UpgradeRequest.MaxHeadBytes || result.IsCompleted)
                {
                    break;
                }

                input.AdvanceTo(buffer.Start, buffer.End);
            }
        }

        var accepted = request is null ? null : await AdmitAsync(request);
        if (accepted is null)
        {
            input.AdvanceTo(result.Buffer.Start);
            return null;
        }

        input.AdvanceTo(end);
        await connection.Transport.Output.WriteAsync(Encoding.ASCII.GetBytes(
            $"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: {request!.AcceptKey()}\r\n\r\n"));
        return accepted;
    }

    // Null: HTTP is to answer it (with the refusal's status, or SignalR's own handling).
    private async ValueTask<Accepted?> AdmitAsync(UpgradeRequest request)
    {
        var query = QueryHelpers.ParseQuery(request.Query);
        var negotiatedToken = query.TryGetValue("id", out var id) ? id.ToString() : null;
        if (admission.Refusal(startsConnection: negotiatedToken is null) is not null || !origins.Allows(request.Origin, request.Host))
        {
            return null;
        }

        ClaimsPrincipal? user = null;
        var expires = DateTime.MaxValue;
        if (auth.Value.Mode == AuthMode.Jwt)
        {
            var token = BearerToken(request.Authorization) ?? (query.TryGetValue(HubJwtBearerEvents.QueryParameter, out var value) ? value.ToString() : null);
            var check = string.IsNullOrEmpty(token) ? TokenCheck.Refused("no token") : await tokens.ValidateAsync(token);
            if (check.User is null)
            {
                return null;
            }

            (user, expires) = (check.User, check.ExpiresUtc);
        }

        string connectionId;
        if (negotiatedToken is null)
        {
            connectionId = ConnectionIds.New();
        }
        else if (!negotiated.TryTake(negotiatedToken, out connectionId))
        {
            return null;
        }

        var queryUser = auth.Value.Mode == AuthMode.None && query.TryGetValue("user", out var named) && named.ToString() is { Length: > 0 } name ? name : null;
        return new Accepted(connectionId, user, expires, queryUser);
    }

    private static string? BearerToken(string? authorization) =>
        authorization is not null && authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            ? authorization["Bearer ".Length..].Trim()
            : null;

    private sealed record Accepted(string ConnectionId, ClaimsPrincipal? User, DateTime ExpiresUtc, string? QueryUser);

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Error, "The hub failed on direct WebSocket {ConnectionId}.")]
        public static partial void HubFailed(ILogger logger, string connectionId, Exception exception);

        [LoggerMessage(2, LogLevel.Debug, "Direct WebSocket {ConnectionId} closed: {Reason}")]
        public static partial void Closed(ILogger logger, string connectionId, string reason);
    }
}
