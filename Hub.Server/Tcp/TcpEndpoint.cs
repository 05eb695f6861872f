using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Hub.Server.Auth;
using Hub.Server.Connections;
using Hub.Server.Core;
using Hub.Server.Hubs;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.Options;

namespace Hub.Server.Tcp;

/// <summary>
/// The hub over raw TCP (<c>Hub:Tcp:Port</c>): Kestrel's socket transport accepts, and each
/// connection goes to the same SignalR connection handler as a WebSocket does, speaking the
/// same protocol (JSON frames ending in 0x1E, or length-prefixed MessagePack) after the same
/// handshake. A TCP client is a first-class connection: presence, groups, history, limits.
/// A separate listener rather than a Kestrel endpoint, since endpoints configured in code make
/// Kestrel ignore the HTTP addresses (ASPNETCORE_URLS). So it also does what Kestrel does for
/// HTTP when the node stops: its connections end before the node goes on stopping.
/// </summary>
internal sealed partial class TcpEndpoint(
    IEnumerable<IConnectionListenerFactory> transports,
    HubConnectionHandler<RealtimeHub> hub,
    ConnectionAdmission admission,
    TcpAuthFrame authFrame,
    TcpHeartbeat heartbeat,
    IOptions<TcpOptions> tcp,
    IOptions<AuthOptions> auth,
    ILogger<TcpEndpoint> logger) : QuietlyStoppingService
{
    private readonly ConcurrentDictionary<ConnectionContext, Task> _running = new();
    private IConnectionListener? _listener;

    public EndPoint? BoundEndPoint => _listener?.EndPoint;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // Bound before the node counts as started, so a port in use stops the node at once. That, or
        // an address this machine does not have, shows only in trying: the error names the keys.
        var endPoint = tcp.Value.EndPoint;
        try
        {
            _listener = await transports.First().BindAsync(endPoint, cancellationToken);
        }
        catch (Exception ex) when (ex is SocketException or AddressInUseException)
        {
            throw new InvalidOperationException(
                $"{TcpOptions.Section}:Address ('{tcp.Value.Address}') and {TcpOptions.Section}:Port ({endPoint.Port}): the node cannot listen there: {ex.Message}", ex);
        }

        Log.Listening(logger, _listener.EndPoint.ToString() ?? "");
        await base.StartAsync(cancellationToken);
    }

    // Called after the drain, which has told every connection to reconnect elsewhere. What is
    // still open is closed now, and the stop waits until each has left presence and its groups
    // (OnDisconnectedAsync): later the node signs off and lets Redis go, and a departure then
    // would fail, leaving it to the other nodes' dead-node sweep.
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_listener is not null)
        {
            await _listener.UnbindAsync(cancellationToken);
        }

        await base.StopAsync(cancellationToken);
        foreach (var connection in _running.Keys)
        {
            connection.Abort(new ConnectionAbortedException("The node is stopping."));
        }

        try
        {
            await Task.WhenAll(_running.Values).WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            Log.NotEnded(logger, _running.Count);
        }

        if (_listener is not null)
        {
            await _listener.DisposeAsync();
        }
    }

    protected override async Task RunAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var connection = await _listener!.AcceptAsync(stoppingToken);
            if (connection is null)
            {
                break;
            }

            var run = Task.Run(() => RunAsync(connection), CancellationToken.None);
            _running[connection] = run;
            _ = run.ContinueWith(ended => _running.TryRemove(connection, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    private async Task RunAsync(ConnectionContext connection)
    {
        await using var _ = connection;
        try
        {
            connection.ConnectionId = ConnectionIds.New();
            if (admission.Refusal() is { } refusal)
            {
                throw new TcpRefusedException(refusal.Message, ConnectionAdmission.RetryAfterSeconds);
            }

            var expires = DateTime.MaxValue;
            if (auth.Value.Mode == AuthMode.Jwt)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
                var check = await authFrame.AuthenticateAsync(connection.Transport.Input, timeout.Token);
                connection.Features.Set<IConnectionUserFeature>(new ConnectionUserFeature(check.User!));
                expires = check.ExpiresUtc;
            }

            // The greeting tells the client its connection id, which over HTTP negotiate would have.
            await TcpAuthFrame.WriteFrameAsync(connection.Transport.Output, new { connectionId = connection.ConnectionId });
            using var expiry = ExpiryOf(expires);
            using var onExpiry = expiry?.Token.Register(static c => ((ConnectionContext)c!).Abort(new ConnectionAbortedException("The token expired.")), connection);
            using var beat = heartbeat.Attach(connection);
            await hub.OnConnectedAsync(connection);
        }
        catch (TcpRefusedException ex)
        {
            if (ex.RetryAfterSeconds is null)
            {
                Log.Refused(logger, ex.Message);
            }
            else
            {
                // The node's own choice, counted in hub.connections.refused: a storm of them is no news per connection.
                Log.NotAdmitted(logger, ex.Message);
            }

            await TcpAuthFrame.RefuseAsync(connection.Transport.Output, ex.Message, ex.RetryAfterSeconds);
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or ConnectionResetException)
        {
            Log.Dropped(logger, ex.Message);
        }
        catch (Exception ex)
        {
            Log.Failed(logger, connection.ConnectionId, ex);
        }
    }

    // As on HTTP (CloseOnAuthenticationExpiration): when its token expires the connection is
    // dropped, and the client comes back with a fresh one. A second after, never before: timers
    // run on a tick count that can be a few milliseconds ahead of the wall clock the expiry is on
    // (HTTP's check runs once a second too). A timer runs at most ~24.8 days; a connection whose
    // token outlives that is dropped then, and comes back the same way.
    private static CancellationTokenSource? ExpiryOf(DateTime expires)
    {
        if (expires == DateTime.MaxValue)
        {
            return null;
        }

        var left = (expires - DateTime.UtcNow).TotalMilliseconds + 1000;
        return new CancellationTokenSource(TimeSpan.FromMilliseconds(Math.Clamp(left, 0, int.MaxValue - 1)));
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "Hub TCP endpoint listening on {EndPoint}.")]
        public static partial void Listening(ILogger logger, string endPoint);

        [LoggerMessage(2, LogLevel.Information, "A TCP connection was refused: {Reason}")]
        public static partial void Refused(ILogger logger, string reason);

        [LoggerMessage(3, LogLevel.Debug, "A TCP connection ended before its handshake: {Reason}")]
        public static partial void Dropped(ILogger logger, string reason);

        [LoggerMessage(4, LogLevel.Warning, "{Count} TCP connection(s) had not ended when the node's shutdown timeout ran out; the other nodes take them out of presence once this node has signed off.")]
        public static partial void NotEnded(ILogger logger, int count);

        [LoggerMessage(5, LogLevel.Error, "TCP connection {ConnectionId} failed.")]
        public static partial void Failed(ILogger logger, string connectionId, Exception exception);

        [LoggerMessage(6, LogLevel.Debug, "A TCP connection was not admitted: {Reason}")]
        public static partial void NotAdmitted(ILogger logger, string reason);
    }
}
