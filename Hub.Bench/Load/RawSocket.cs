using System.Buffers.Text;
using System.Text;

namespace Hub.Bench.Load;

/// <summary>
/// A connection to the raw peer's <c>/ws</c>: one text message per frame, no handshake, no
/// record separator. Sends "p &lt;id&gt; &lt;text&gt;"; receives "m &lt;text&gt;" (a broadcast),
/// "a &lt;id&gt;" (the publish is in Redis) or "e &lt;id&gt; &lt;reason&gt;" (it failed).
/// </summary>
internal sealed class RawSocket : ILoadSocket
{
    private readonly WebSocketTransport _transport;

    private RawSocket(WebSocketTransport transport) => _transport = transport;

    public static ILoadProtocol Protocol { get; } = new RawProtocol();

    public Task PublishAsync(long id, string text, CancellationToken cancellationToken) =>
        _transport.SendAsync(Encoding.UTF8.GetBytes($"p {id} {text}"), cancellationToken);

    public async Task ReceiveAllAsync(LoadEventHandler handle, CancellationToken cancellationToken)
    {
        while (await _transport.ReadMessageAsync(cancellationToken) is { } frame)
        {
            Handle(frame.Span, handle);
        }
    }

    public ValueTask DisposeAsync() => _transport.DisposeAsync();

    private static void Handle(ReadOnlySpan<byte> frame, LoadEventHandler handle)
    {
        if (frame.StartsWith("m "u8))
        {
            handle(new LoadEvent(LoadEventKind.Message, frame[2..]));
        }
        else if (frame.StartsWith("a "u8) && Utf8Parser.TryParse(frame[2..], out long id, out _))
        {
            handle(new LoadEvent(LoadEventKind.Ack, id: id));
        }
        else if (frame.StartsWith("e "u8) && Utf8Parser.TryParse(frame[2..], out id, out var used))
        {
            handle(new LoadEvent(LoadEventKind.Ack, id: id, error: Encoding.UTF8.GetString(frame[(2 + used)..]).Trim()));
        }
        else
        {
            throw new IOException($"The raw peer sent a frame the bench does not know: '{Encoding.UTF8.GetString(frame[..Math.Min(frame.Length, 80)])}'.");
        }
    }

    private sealed class RawProtocol : ILoadProtocol
    {
        public string Name => "raw text over websocket";

        // No handshake: the socket is ready once the WebSocket is open.
        public Task<ILoadSocket> ConnectAsync(Uri endpoint, int receiveBufferBytes, CancellationToken cancellationToken) =>
            ILoadProtocol.OpenAsync(
                async token => new RawSocket(await WebSocketTransport.ConnectAsync(endpoint, receiveBufferBytes, binary: false, token)),
                static (_, _) => Task.CompletedTask,
                cancellationToken);
    }
}
