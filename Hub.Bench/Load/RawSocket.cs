using System.Buffers.Text;
using System.Net.WebSockets;
using System.Text;

namespace Hub.Bench.Load;

/// <summary>
/// A connection to the raw peer's <c>/ws</c>: one text message per frame, no handshake, no
/// record separator. Sends "p &lt;id&gt; &lt;text&gt;"; receives "m &lt;text&gt;" (a broadcast),
/// "a &lt;id&gt;" (the publish is in Redis) or "e &lt;id&gt; &lt;reason&gt;" (it failed).
/// </summary>
internal sealed class RawSocket : ILoadSocket
{
    private const int MaxFrameBytes = 1 << 20;
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan SendTimeout = TimeSpan.FromSeconds(10);

    private readonly WebSocketTransport _transport;
    private byte[] _buffer = new byte[16 * 1024];

    private RawSocket(WebSocketTransport transport) => _transport = transport;

    public static ILoadProtocol Protocol { get; } = new RawProtocol();

    /// <remarks>One publish at a time: the publisher's loop awaits each before the next.</remarks>
    public async Task PublishAsync(long id, string text, CancellationToken cancellationToken)
    {
        // A server that stops reading would block a send forever once the socket buffers fill.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(SendTimeout);
        await _transport.WriteAsync(Encoding.UTF8.GetBytes($"p {id} {text}"), timeout.Token);
    }

    public async Task ReceiveAllAsync(LoadEventHandler handle, CancellationToken cancellationToken)
    {
        while (await ReadFrameAsync(cancellationToken) is { } frame)
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

    /// <summary>The next whole frame, valid until the next read; null once the server closed.</summary>
    private async Task<ReadOnlyMemory<byte>?> ReadFrameAsync(CancellationToken cancellationToken)
    {
        var length = 0;
        while (true)
        {
            var result = await _transport.ReceiveAsync(_buffer.AsMemory(length), cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            length += result.Count;
            if (result.EndOfMessage)
            {
                return _buffer.AsMemory(0, length);
            }

            if (length == _buffer.Length)
            {
                if (length >= MaxFrameBytes)
                {
                    throw new IOException($"A frame over {MaxFrameBytes} bytes arrived; the bench sends nothing that large.");
                }

                Array.Resize(ref _buffer, _buffer.Length * 2);
            }
        }
    }

    private sealed class RawProtocol : ILoadProtocol
    {
        public string Name => "raw text over websocket";

        public async Task<ILoadSocket> ConnectAsync(Uri endpoint, int receiveBufferBytes, CancellationToken cancellationToken)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(ConnectTimeout);
            return new RawSocket(await WebSocketTransport.ConnectAsync(endpoint, receiveBufferBytes, binary: false, timeout.Token));
        }
    }
}
