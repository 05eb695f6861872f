using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;

namespace Hub.Bench.Load;

/// <summary>
/// A raw WebSocket to <c>/hub</c> speaking the SignalR JSON protocol by hand: no negotiation
/// (the server accepts WebSockets without it), the handshake, records split on 0x1E, and a
/// ping every 15 s so that a quiet receiver is not timed out. Far lighter than a HubConnection
/// per connection, so the load generator does not eat the CPU it is measuring.
/// </summary>
internal sealed class HubSocket : IAsyncDisposable
{
    public const byte RecordSeparator = 0x1E;
    private const int MaxRecordBytes = 1 << 20;
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan SendTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan KeepAliveInterval = TimeSpan.FromSeconds(15);
    private static readonly byte[] Handshake = Encoding.UTF8.GetBytes("{\"protocol\":\"json\",\"version\":1}\u001e");
    private static readonly byte[] PingRecord = Encoding.UTF8.GetBytes("{\"type\":6}\u001e");

    private readonly ClientWebSocket _socket = new();
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly CancellationTokenSource _closing = new();
    private byte[] _buffer = new byte[16 * 1024];
    private int _start;
    private int _end;
    private Task _keepAlive = Task.CompletedTask;

    /// <param name="hubUrl">The node's hub.</param>
    /// <param name="receiveBufferBytes">
    /// The TCP receive buffer, 0 for the system's: a small one makes a client that stops reading
    /// fill the server's buffers within a second instead of after megabytes of loopback buffering.
    /// </param>
    public static async Task<HubSocket> ConnectAsync(Uri hubUrl, int receiveBufferBytes = 0)
    {
        var socket = new HubSocket();
        try
        {
            using var timeout = new CancellationTokenSource(ConnectTimeout);
            var ws = new UriBuilder(hubUrl) { Scheme = hubUrl.Scheme == "https" ? "wss" : "ws" }.Uri;
            if (receiveBufferBytes > 0)
            {
                using var invoker = new HttpMessageInvoker(new SocketsHttpHandler
                {
                    ConnectCallback = async (context, token) =>
                    {
                        var tcp = new Socket(SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = receiveBufferBytes, NoDelay = true };
                        await tcp.ConnectAsync(context.DnsEndPoint, token);
                        return new NetworkStream(tcp, ownsSocket: true);
                    },
                });
                await socket._socket.ConnectAsync(ws, invoker, timeout.Token);
            }
            else
            {
                await socket._socket.ConnectAsync(ws, timeout.Token);
            }

            await socket.SendAsync(Handshake, timeout.Token);
            var reply = await socket.ReadRecordAsync(timeout.Token)
                ?? throw new IOException($"{hubUrl} closed the connection during the handshake.");
            if (reply.Span.IndexOf("\"error\""u8) >= 0)
            {
                throw new IOException($"{hubUrl} refused the handshake: {Encoding.UTF8.GetString(reply.Span)}");
            }

            socket._keepAlive = socket.KeepAliveAsync();
            return socket;
        }
        catch
        {
            await socket.DisposeAsync();
            throw;
        }
    }

    public async Task SendAsync(ReadOnlyMemory<byte> record, CancellationToken cancellationToken)
    {
        // A server that stops reading would block a send forever once the socket buffers fill.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(SendTimeout);

        // ClientWebSocket allows one send at a time; pings and invocations share the socket.
        await _sendLock.WaitAsync(timeout.Token);
        try
        {
            await _socket.SendAsync(record, WebSocketMessageType.Text, endOfMessage: true, timeout.Token);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Reads records until the server closes or <paramref name="cancellationToken"/> fires.</summary>
    public async Task ReceiveAllAsync(RecordHandler handle, CancellationToken cancellationToken)
    {
        while (await ReadRecordAsync(cancellationToken) is { } record)
        {
            handle(record.Span);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _closing.CancelAsync();
        await _keepAlive.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (_socket.State == WebSocketState.Open)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try
            {
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
                // The server went first; nothing to tell it.
            }
        }

        _socket.Dispose();
        _sendLock.Dispose();
        _closing.Dispose();
    }

    /// <summary>The next record without its separator, valid until the next read; null once the server closed.</summary>
    private async Task<ReadOnlyMemory<byte>?> ReadRecordAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var separator = _buffer.AsSpan(_start, _end - _start).IndexOf(RecordSeparator);
            if (separator >= 0)
            {
                var record = _buffer.AsMemory(_start, separator);
                _start += separator + 1;
                return record;
            }

            MakeRoom();
            var result = await _socket.ReceiveAsync(_buffer.AsMemory(_end), cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            _end += result.Count;
        }
    }

    private void MakeRoom()
    {
        if (_start > 0)
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            if (_buffer.Length >= MaxRecordBytes)
            {
                throw new IOException($"A record over {MaxRecordBytes} bytes arrived; the bench sends nothing that large.");
            }

            Array.Resize(ref _buffer, _buffer.Length * 2);
        }
    }

    private async Task KeepAliveAsync()
    {
        using var timer = new PeriodicTimer(KeepAliveInterval);
        while (await timer.WaitForNextTickAsync(_closing.Token))
        {
            await SendAsync(PingRecord, _closing.Token);
        }
    }
}
