using System.Buffers.Text;
using System.Text;

namespace Hub.Bench.Load;

/// <summary>
/// A connection to a Socket.IO node speaking Engine.IO v4 and Socket.IO v5 by hand, over a
/// WebSocket opened directly (no long-polling first): the open packet, a connect to the main
/// namespace, and then one packet per WebSocket message. A publish is the event
/// <c>42{id}["send","{text}"]</c> (<c>sendToGroup</c> and <c>join</c> take the group first),
/// answered by <c>43{id}[]</c>; a message is the event <c>42["message","{text}"]</c>. The
/// server pings (<c>2</c>) and this answers (<c>3</c>).
/// </summary>
internal sealed class SocketIoSocket : ILoadSocket
{
    private static readonly byte[] ConnectPacket = "40"u8.ToArray();
    private static readonly byte[] PongPacket = "3"u8.ToArray();

    private readonly WebSocketTransport _transport;

    private SocketIoSocket(WebSocketTransport transport) => _transport = transport;

    /// <summary>To a node's <c>/socket.io/?EIO=4&amp;transport=websocket</c>.</summary>
    public static ILoadProtocol Protocol { get; } = new SocketIoProtocol();

    public Task PublishAsync(long id, string text, CancellationToken cancellationToken) =>
        _transport.SendAsync(Encoding.UTF8.GetBytes($"42{id}[\"send\",\"{text}\"]"), cancellationToken);

    public Task PublishToGroupAsync(long id, string group, string text, CancellationToken cancellationToken) =>
        _transport.SendAsync(Encoding.UTF8.GetBytes($"42{id}[\"sendToGroup\",\"{group}\",\"{text}\"]"), cancellationToken);

    public Task JoinAsync(long id, string group, CancellationToken cancellationToken) =>
        _transport.SendAsync(Encoding.UTF8.GetBytes($"42{id}[\"join\",\"{group}\"]"), cancellationToken);

    public async Task ReceiveAllAsync(LoadEventHandler handle, CancellationToken cancellationToken)
    {
        while (await _transport.ReadMessageAsync(cancellationToken) is { } packet)
        {
            if (packet.Span.SequenceEqual("2"u8))
            {
                await _transport.SendAsync(PongPacket, cancellationToken);
            }
            else if (!Dispatch(packet.Span, handle))
            {
                return;
            }
        }
    }

    public ValueTask DisposeAsync() => _transport.DisposeAsync();

    /// <summary>Hands one packet (other than a ping) to <paramref name="handle"/>; false once the session ended.</summary>
    private static bool Dispatch(ReadOnlySpan<byte> packet, LoadEventHandler handle)
    {
        if (packet.StartsWith("42"u8))
        {
            // The bench's texts need no escaping, so the event's argument is the text between the quotes.
            if (packet.EndsWith("\"]"u8) && packet[2..].StartsWith("[\"message\",\""u8))
            {
                handle(new LoadEvent(LoadEventKind.Message, packet[(2 + "[\"message\",\""u8.Length)..^2]));
            }
        }
        else if (packet.StartsWith("43"u8) && Utf8Parser.TryParse(packet[2..], out long id, out var digits))
        {
            var arguments = packet[(2 + digits)..];
            handle(new LoadEvent(LoadEventKind.Ack, id: id, error: arguments.SequenceEqual("[]"u8) ? null : Encoding.UTF8.GetString(arguments)));
        }
        else if (packet.StartsWith("41"u8) || packet.StartsWith("44"u8) || packet.StartsWith("1"u8))
        {
            // A disconnect or connect error of the namespace, or Engine.IO's close of the whole session.
            handle(new LoadEvent(LoadEventKind.Closed, error: $"the server sent '{Encoding.UTF8.GetString(packet)}'"));
            return false;
        }

        return true;
    }

    private async Task StartAsync(Uri endpoint, CancellationToken cancellationToken)
    {
        // The open packet, 0{"sid":…,"pingInterval":…}: the server pings on its own schedule, so nothing in it is needed here.
        var open = await _transport.ReadMessageAsync(cancellationToken);
        if (open is not { } opened || !opened.Span.StartsWith("0{"u8))
        {
            throw new IOException($"{endpoint} did not open an Engine.IO session: {Describe(open)}");
        }

        await _transport.SendAsync(ConnectPacket, cancellationToken);
        var connected = await _transport.ReadMessageAsync(cancellationToken);
        if (connected is not { } reply || !reply.Span.StartsWith("40{"u8))
        {
            throw new IOException($"{endpoint} refused the connect to its main namespace: {Describe(connected)}");
        }
    }

    private static string Describe(ReadOnlyMemory<byte>? packet) =>
        packet is { } bytes ? $"'{Encoding.UTF8.GetString(bytes.Span)}'" : "it closed the connection";

    private sealed class SocketIoProtocol : ILoadProtocol
    {
        public string Name => "socket.io over websocket";

        public Task<ILoadSocket> ConnectAsync(Uri endpoint, int receiveBufferBytes, CancellationToken cancellationToken) =>
            ILoadProtocol.OpenAsync(
                async token => new SocketIoSocket(await WebSocketTransport.ConnectAsync(endpoint, receiveBufferBytes, binary: false, token)),
                (socket, token) => socket.StartAsync(endpoint, token),
                cancellationToken);
    }
}
