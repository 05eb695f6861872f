using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.SignalR;

namespace Hub.Client.Internal;

/// <summary>
/// Connects to a node's raw TCP endpoint (<c>tcp://host:port</c>). The SignalR protocol runs
/// unchanged over the socket; with a token, the first frame carries it
/// (<c>{"access_token":"…"}</c> and 0x1E), as the node expects in Jwt mode. The token is asked
/// for again on every connect, so a reconnect presents a fresh one. The node then greets with
/// the connection id (or the reason it refuses), before the SignalR handshake.
/// </summary>
internal sealed class TcpConnectionFactory(Func<Task<string?>>? accessTokenProvider) : IConnectionFactory
{
    public const string Scheme = "tcp";

    public static bool IsTcp(Uri url) => string.Equals(url.Scheme, Scheme, StringComparison.OrdinalIgnoreCase);

    public async ValueTask<ConnectionContext> ConnectAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        var url = (endpoint as UriEndPoint)?.Uri ?? throw new NotSupportedException($"Expected a tcp:// address, got {endpoint}.");
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(url.Host, url.Port, cancellationToken);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        var connection = new TcpClientConnection(socket);
        try
        {
            if (accessTokenProvider is not null && await accessTokenProvider() is { Length: > 0 } token)
            {
                var frame = Encoding.UTF8.GetBytes("{\"access_token\":" + JsonSerializer.Serialize(token) + "}\u001e");
                await connection.Transport.Output.WriteAsync(frame, cancellationToken);
            }

            // The node greets with the connection's id ({"connectionId":"…"}), or says why it refuses
            // ({"error":"…"}), with the seconds to wait first when its admission refused ("retryAfter").
            using var greeting = JsonDocument.Parse(await ReadFrameAsync(connection.Transport.Input, cancellationToken));
            if (greeting.RootElement.TryGetProperty("error", out var error))
            {
                var refused = new HubException($"The node refused the connection: {error.GetString()}");
                throw greeting.RootElement.TryGetProperty("retryAfter", out var retryAfter) && retryAfter.TryGetDouble(out var seconds) && double.IsFinite(seconds)
                    ? RetryHint.Attach(refused, TimeSpan.FromSeconds(Math.Clamp(seconds, 0, 3600)))
                    : refused;
            }

            connection.ConnectionId = greeting.RootElement.GetProperty("connectionId").GetString()!;
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private static async Task<byte[]> ReadFrameAsync(PipeReader input, CancellationToken cancellationToken)
    {
        while (true)
        {
            var read = await input.ReadAsync(cancellationToken);
            if (read.Buffer.PositionOf((byte)0x1e) is { } end)
            {
                var frame = read.Buffer.Slice(0, end).ToArray();
                input.AdvanceTo(read.Buffer.GetPosition(1, end));
                return frame;
            }

            if (read.IsCompleted || read.Buffer.Length > 64 * 1024)
            {
                throw new IOException("The node closed the TCP connection before its greeting.");
            }

            input.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        }
    }
}
