using System.Text;

namespace Hub.Bench.Load;

/// <summary>
/// A connection to <c>/hub</c> (over a WebSocket) or to the TCP endpoint speaking a SignalR hub
/// protocol (<see cref="IHubCodec"/>: JSON or MessagePack) by hand: no negotiation (the server
/// accepts WebSockets without it), the TCP greeting, the handshake, the protocol's frames, and
/// a ping every 15 s so that a quiet receiver is not timed out. Far lighter than a
/// HubConnection per connection, so the load generator does not eat the CPU it is measuring.
/// </summary>
internal sealed class HubSocket : ILoadSocket
{
    private const int MaxRecordBytes = 1 << 20;
    private static readonly TimeSpan KeepAliveInterval = TimeSpan.FromSeconds(15);

    private readonly RecordTransport _transport;
    private readonly IHubCodec _codec;
    private readonly CancellationTokenSource _closing = new();
    private byte[] _buffer = new byte[16 * 1024];
    private int _start;
    private int _end;
    private Task _keepAlive = Task.CompletedTask;

    private HubSocket(RecordTransport transport, IHubCodec codec)
    {
        _transport = transport;
        _codec = codec;
    }

    /// <summary>Over a WebSocket to a node's <c>/hub</c> (http:// or ws:// URL).</summary>
    public static ILoadProtocol WebSocket(IHubCodec codec) => new Protocol($"signalr {codec.Name} over websocket", codec, async (url, buffer, token) =>
        await WebSocketTransport.ConnectAsync(url, buffer, codec.IsBinary, token));

    /// <summary>Over Hub's raw TCP endpoint (tcp://host:port): the node greets with the connection id first.</summary>
    public static ILoadProtocol Tcp(IHubCodec codec) => new Protocol($"signalr {codec.Name} over tcp", codec, async (url, buffer, token) =>
        new TcpTransport(await RecordTransport.ConnectTcpAsync(url.Host, url.Port, buffer, token)));

    /// <summary>Over the WebSocket or TCP endpoint, as <paramref name="url"/>'s scheme says.</summary>
    public static ILoadProtocol For(Uri url, IHubCodec codec) => url.Scheme == "tcp" ? Tcp(codec) : WebSocket(codec);

    public Task PublishAsync(long id, string text, CancellationToken cancellationToken) =>
        SendAsync(_codec.EncodeInvocation(id, "Send", text), cancellationToken);

    public Task PublishToGroupAsync(long id, string group, string text, CancellationToken cancellationToken) =>
        SendAsync(_codec.EncodeInvocation(id, "SendToGroup", group, text), cancellationToken);

    public Task JoinAsync(long id, string group, CancellationToken cancellationToken) =>
        SendAsync(_codec.EncodeInvocation(id, "Join", group), cancellationToken);

    public Task ResumeAsync(long id, string stream, string epoch, long offset, CancellationToken cancellationToken) =>
        SendAsync(_codec.EncodeResume(id, stream, epoch, offset), cancellationToken);

    public async Task ReceiveAllAsync(LoadEventHandler handle, CancellationToken cancellationToken)
    {
        do
        {
            HandleBuffered(handle);
        }
        while (await ReadMoreAsync(cancellationToken));
    }

    public async ValueTask DisposeAsync()
    {
        await _closing.CancelAsync();
        await _keepAlive.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _transport.DisposeAsync();
        _closing.Dispose();
    }

    private async Task StartAsync(Uri endpoint, CancellationToken cancellationToken)
    {
        if (endpoint.Scheme == "tcp")
        {
            var greeting = await ReadRecordAsync(cancellationToken)
                ?? throw new IOException($"{endpoint} closed the connection before its greeting.");
            if (greeting.Span.IndexOf("\"error\""u8) >= 0)
            {
                throw new IOException($"{endpoint} refused the connection: {Encoding.UTF8.GetString(greeting.Span)}");
            }
        }

        await SendAsync(_codec.Handshake, cancellationToken);
        var reply = await ReadRecordAsync(cancellationToken)
            ?? throw new IOException($"{endpoint} closed the connection during the handshake.");
        if (reply.Span.IndexOf("\"error\""u8) >= 0)
        {
            throw new IOException($"{endpoint} refused the handshake: {Encoding.UTF8.GetString(reply.Span)}");
        }

        _keepAlive = KeepAliveAsync();
    }

    /// <summary>Hands every whole frame buffered to <paramref name="handle"/>; what remains is the start of the next.</summary>
    private void HandleBuffered(LoadEventHandler handle)
    {
        int length;
        while ((length = _codec.TryReadFrame(_buffer.AsMemory(_start, _end - _start), out var frame)) > 0)
        {
            _start += length;
            switch (frame.Type)
            {
                case HubFrame.Invocation when frame.IsReceive:
                    handle(new LoadEvent(LoadEventKind.Message, frame.Text, point: frame.Point));
                    break;
                case HubFrame.Completion:
                    handle(new LoadEvent(LoadEventKind.Ack, id: frame.InvocationId, error: frame.Error, point: frame.Point));
                    break;
                case HubFrame.Close:
                    handle(new LoadEvent(LoadEventKind.Closed, error: frame.Error ?? "no error given"));
                    break;
            }
        }
    }

    private Task SendAsync(ReadOnlyMemory<byte> record, CancellationToken cancellationToken) =>
        _transport.SendAsync(record, cancellationToken);

    /// <summary>
    /// The next JSON record (the TCP greeting, the handshake reply) without its separator, valid
    /// until the next read; null once the server closed. What follows stays buffered for the codec.
    /// </summary>
    private async Task<ReadOnlyMemory<byte>?> ReadRecordAsync(CancellationToken cancellationToken)
    {
        do
        {
            var separator = _buffer.AsSpan(_start, _end - _start).IndexOf(JsonHubCodec.RecordSeparator);
            if (separator >= 0)
            {
                var record = _buffer.AsMemory(_start, separator);
                _start += separator + 1;
                return record;
            }
        }
        while (await ReadMoreAsync(cancellationToken));
        return null;
    }

    /// <summary>Reads what has arrived behind what is buffered; false once the server closed.</summary>
    private async Task<bool> ReadMoreAsync(CancellationToken cancellationToken)
    {
        MakeRoom();
        var read = await _transport.ReadAsync(_buffer.AsMemory(_end), cancellationToken);
        _end += read;
        return read > 0;
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
            await SendAsync(_codec.Ping, _closing.Token);
        }
    }

    private sealed class Protocol(string name, IHubCodec codec, Func<Uri, int, CancellationToken, Task<RecordTransport>> connect) : ILoadProtocol
    {
        public string Name => name;

        public Task<ILoadSocket> ConnectAsync(Uri endpoint, int receiveBufferBytes, CancellationToken cancellationToken) =>
            ILoadProtocol.OpenAsync(
                async token => new HubSocket(await connect(endpoint, receiveBufferBytes, token), codec),
                (socket, token) => socket.StartAsync(endpoint, token),
                cancellationToken);
    }
}
