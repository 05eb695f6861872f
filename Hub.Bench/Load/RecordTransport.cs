using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using Hub.Client.Internal;

namespace Hub.Bench.Load;

/// <summary>The bytes under a SignalR record stream: a WebSocket's messages, or a raw TCP stream.</summary>
internal abstract class RecordTransport : IAsyncDisposable
{
    private static readonly TimeSpan SendTimeout = TimeSpan.FromSeconds(10);
    private readonly SemaphoreSlim _sendLock = new(1, 1);

    /// <summary>Reads what has arrived into <paramref name="buffer"/>; 0 once the server closed.</summary>
    public abstract ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken);

    /// <summary>Writes one or more whole records; one write at a time (the caller serializes).</summary>
    public abstract ValueTask WriteAsync(ReadOnlyMemory<byte> records, CancellationToken cancellationToken);

    /// <summary>
    /// Writes one or more whole records once the writes before have gone out (pings, pongs and
    /// calls share the connection), within a bound: a server that stops reading would block a
    /// write forever once the socket buffers fill.
    /// </summary>
    public async Task SendAsync(ReadOnlyMemory<byte> records, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(SendTimeout);
        await _sendLock.WaitAsync(timeout.Token);
        try
        {
            await WriteAsync(records, timeout.Token);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    public virtual ValueTask DisposeAsync()
    {
        _sendLock.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>A TCP socket to <paramref name="host"/>:<paramref name="port"/>, Nagle off.</summary>
    public static async Task<Socket> ConnectTcpAsync(string host, int port, int receiveBufferBytes, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (receiveBufferBytes > 0)
        {
            socket.ReceiveBufferSize = receiveBufferBytes;
        }

        try
        {
            await socket.ConnectAsync(host, port, cancellationToken);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}

/// <summary>A WebSocket: every write one text (or binary) message, reads of whatever arrived.</summary>
internal sealed class WebSocketTransport(ClientWebSocket socket, WebSocketMessageType messageType) : RecordTransport
{
    private const int MaxMessageBytes = 1 << 20;

    // Only for ReadMessageAsync, allocated at its first call (a hub connection reads through a
    // buffer of its own, and 10,000 of them would keep 160 MB of these for nothing); grows to the largest message.
    private byte[]? _message;

    /// <param name="binary">Binary messages, as SignalR sends and expects for a binary protocol (MessagePack).</param>
    public static async Task<WebSocketTransport> ConnectAsync(Uri url, int receiveBufferBytes, bool binary, CancellationToken cancellationToken)
    {
        var ws = new UriBuilder(url) { Scheme = url.Scheme == "https" ? "wss" : "ws" }.Uri;
        // The status and headers of a refused upgrade, for the wait a node asks for (Retry-After).
        var socket = new ClientWebSocket { Options = { CollectHttpResponseDetails = true } };
        try
        {
            if (receiveBufferBytes > 0)
            {
                using var invoker = new HttpMessageInvoker(new SocketsHttpHandler
                {
                    ConnectCallback = async (context, token) => new NetworkStream(
                        await ConnectTcpAsync(context.DnsEndPoint.Host, context.DnsEndPoint.Port, receiveBufferBytes, token), ownsSocket: true),
                });
                await socket.ConnectAsync(ws, invoker, cancellationToken);
            }
            else
            {
                await socket.ConnectAsync(ws, cancellationToken);
            }

            return new WebSocketTransport(socket, binary ? WebSocketMessageType.Binary : WebSocketMessageType.Text);
        }
        catch (WebSocketException ex) when (RetryAfter(socket) is { } wait)
        {
            socket.Dispose();
            throw RetryHint.Attach(ex, wait);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    // What Hub.Client reads from a refused negotiate (NodeRefusalHandler): a 503's or 429's Retry-After, in seconds.
    private static TimeSpan? RetryAfter(ClientWebSocket socket) =>
        socket.HttpStatusCode is HttpStatusCode.ServiceUnavailable or HttpStatusCode.TooManyRequests &&
        socket.HttpResponseHeaders?.TryGetValue("Retry-After", out var values) == true &&
        int.TryParse(values.FirstOrDefault(), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            ? TimeSpan.FromSeconds(seconds)
            : null;

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        var result = await socket.ReceiveAsync(buffer, cancellationToken);
        return result.MessageType == WebSocketMessageType.Close ? 0 : result.Count;
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> records, CancellationToken cancellationToken) =>
        socket.SendAsync(records, messageType, endOfMessage: true, cancellationToken);

    public override async ValueTask DisposeAsync()
    {
        if (socket.State == WebSocketState.Open)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
                // The server went first; nothing to tell it.
            }
        }

        socket.Dispose();
        await base.DisposeAsync();
    }

    /// <summary>
    /// The next whole, non-empty message, for protocols that frame by message (Engine.IO, the raw
    /// peer's): valid until the next read; null once the server closed.
    /// </summary>
    public async Task<ReadOnlyMemory<byte>?> ReadMessageAsync(CancellationToken cancellationToken)
    {
        var length = 0;
        _message ??= new byte[16 * 1024];
        while (true)
        {
            if (length == _message.Length)
            {
                if (_message.Length >= MaxMessageBytes)
                {
                    throw new IOException($"A message over {MaxMessageBytes} bytes arrived; the bench sends nothing that large.");
                }

                Array.Resize(ref _message, _message.Length * 2);
            }

            var result = await socket.ReceiveAsync(_message.AsMemory(length), cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            length += result.Count;
            if (result.EndOfMessage && length > 0)
            {
                return _message.AsMemory(0, length);
            }
        }
    }
}

/// <summary>A raw TCP stream (Hub's TCP endpoint): records go out and come in as plain bytes.</summary>
internal sealed class TcpTransport(Socket socket) : RecordTransport
{
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        try
        {
            return await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
        {
            return 0;
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> records, CancellationToken cancellationToken)
    {
        while (!records.IsEmpty)
        {
            records = records[await socket.SendAsync(records, SocketFlags.None, cancellationToken)..];
        }
    }

    public override ValueTask DisposeAsync()
    {
        socket.Dispose();
        return base.DisposeAsync();
    }
}
