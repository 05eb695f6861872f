using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using System.Text.Unicode;
using Hub.Server.WebSockets;
using Hub.Tests.Infrastructure;

namespace Hub.Tests.WebSockets;

/// <summary>
/// A WebSocket client written by hand on a plain socket, frame by frame, so a test can send what
/// no well-behaved client library would: fragments, pings, unmasked frames, a head in pieces.
/// </summary>
public sealed class RawWebSocket : IDisposable
{
    private readonly TcpClient _socket;
    private readonly NetworkStream _stream;

    private RawWebSocket(TcpClient socket)
    {
        _socket = socket;
        _socket.NoDelay = true;
        _stream = socket.GetStream();
    }

    /// <summary>The response's status line and headers, as the node sent them.</summary>
    public string ResponseHead { get; private set; } = "";

    /// <summary>Opens the socket and sends the upgrade head, in <paramref name="pieces"/> writes a moment apart.</summary>
    public static async Task<RawWebSocket> ConnectAsync(HubNode node, string pathAndQuery = "/hub", string extraHeaders = "", int pieces = 1)
    {
        var socket = new TcpClient();
        await socket.ConnectAsync(node.BaseUrl.Host, node.BaseUrl.Port).Within();
        var raw = new RawWebSocket(socket);
        var head = Encoding.ASCII.GetBytes(
            $"GET {pathAndQuery} HTTP/1.1\r\nHost: {node.BaseUrl.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            $"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{extraHeaders}\r\n");
        var size = (head.Length + pieces - 1) / pieces;
        for (var start = 0; start < head.Length; start += size)
        {
            await raw._stream.WriteAsync(head.AsMemory(start, Math.Min(size, head.Length - start))).AsTask().Within();
            await Task.Delay(pieces > 1 ? 50 : 0);
        }

        var response = new List<byte>();
        while (response.Count < 4 || !response.TakeLast(4).SequenceEqual("\r\n\r\n"u8.ToArray()))
        {
            response.Add(await raw.ReadByteAsync());
        }

        raw.ResponseHead = Encoding.ASCII.GetString([.. response]);
        return raw;
    }

    public Task SendTextAsync(string text, bool fin = true, byte opcode = 0x1) =>
        SendFrameAsync(opcode, Encoding.UTF8.GetBytes(text), fin);

    /// <summary>One frame, masked as a client's must be unless <paramref name="mask"/> says otherwise.</summary>
    public Task SendFrameAsync(byte opcode, byte[] payload, bool fin = true, bool mask = true) =>
        SendRawAsync(ClientFrame.Build(opcode, payload, fin, mask));

    /// <summary>
    /// Bytes as they are, in writes of <paramref name="chunk"/> bytes (all at once for 0), each
    /// sent on its own (no Nagle), so the node may read a frame in pieces.
    /// </summary>
    public async Task SendRawAsync(byte[] bytes, int chunk = 0)
    {
        var size = chunk > 0 ? chunk : Math.Max(bytes.Length, 1);
        for (var start = 0; start < bytes.Length; start += size)
        {
            await _stream.WriteAsync(bytes.AsMemory(start, Math.Min(size, bytes.Length - start))).AsTask().Within();
        }
    }

    /// <summary>The next frame from the node; null when it closed the socket.</summary>
    public async Task<(byte Opcode, byte[] Payload)?> ReadFrameAsync()
    {
        var first = new byte[2];
        try
        {
            if (await _stream.ReadAtLeastAsync(first, 2, throwOnEndOfStream: false).AsTask().Within() < 2)
            {
                return null;
            }
        }
        catch (IOException)
        {
            // Reset: the node closed the socket, and something it had not read was on its way.
            return null;
        }

        long length = first[1] & 0x7F;
        if (length >= 126)
        {
            var extended = new byte[length == 126 ? 2 : 8];
            await _stream.ReadExactlyAsync(extended).AsTask().Within();
            length = extended.Length == 2 ? BinaryPrimitives.ReadUInt16BigEndian(extended) : (long)BinaryPrimitives.ReadUInt64BigEndian(extended);
        }

        var payload = new byte[length];
        await _stream.ReadExactlyAsync(payload).AsTask().Within();
        return ((byte)(first[0] & 0x0F), payload);
    }

    /// <summary>Text frames until one contains <paramref name="fragment"/>; the node's close fails the test.</summary>
    public async Task<string> ReadTextUntilAsync(string fragment)
    {
        while (true)
        {
            var frame = await ReadFrameAsync() ?? throw new AssertionException($"The node closed the socket before sending '{fragment}'.");
            var text = Encoding.UTF8.GetString(frame.Payload);
            if (frame.Opcode == 0x8)
            {
                throw new AssertionException($"The node sent a close frame before '{fragment}': {text}");
            }

            if (text.Contains(fragment))
            {
                return text;
            }
        }
    }

    /// <summary>
    /// What the node made of everything sent so far, as a line to compare. With
    /// <paramref name="probe"/>, a ping goes out and the node's frames are read until its pong to it
    /// (<c>open</c>); without, until the node closes. Either way a close frame ends it
    /// (<c>close 1002</c>), or the end of the stream (<c>dropped</c>), or 5 s without either
    /// (<c>silent</c>). Pongs to the client's own pings come before, in order
    /// (<c>pong 'a', pong 'b', open</c>); data frames are skipped. A close the node should never send
    /// (a code RFC 6455 forbids, a reason that is not UTF-8, data after it) fails the test.
    /// </summary>
    /// <param name="probe">
    /// False when the node is expected to close: a ping it would not read makes its socket close
    /// with a reset, which may overtake its close frame.
    /// </param>
    public async Task<string> VerdictAsync(bool probe = true)
    {
        var ping = "verdict-probe"u8.ToArray();
        if (probe)
        {
            try
            {
                await SendFrameAsync(0x9, ping);
            }
            catch (IOException)
            {
                // The node closed the socket already; what it sent before is still to be read.
            }
        }

        var seen = new List<string>();
        try
        {
            while (true)
            {
                var frame = await ReadFrameAsync().Within(TimeSpan.FromSeconds(5));
                switch (frame)
                {
                    case null:
                        seen.Add("dropped");
                        return string.Join(", ", seen);
                    case { Opcode: 0xA } pong when probe && pong.Payload.AsSpan().SequenceEqual(ping):
                        seen.Add("open");
                        return string.Join(", ", seen);
                    case { Opcode: 0xA } pong:
                        seen.Add($"pong '{Printable(pong.Payload)}'");
                        break;
                    case { Opcode: 0x8 } close:
                        seen.Add(CloseOf(close.Payload));
                        Assert.That(await ReadFrameAsync(), Is.Null, $"after its close frame ({string.Join(", ", seen)}) the node sends nothing more and closes the socket");
                        return string.Join(", ", seen);
                }
            }
        }
        catch (TimeoutException)
        {
            seen.Add("silent");
            return string.Join(", ", seen);
        }
    }

    /// <summary>The status code of a close frame the node sent, after checking that RFC 6455 lets an endpoint send it.</summary>
    public static ushort? CloseStatusOf(byte[] payload)
    {
        if (payload.Length == 0)
        {
            return null;
        }

        Assert.That(payload, Has.Length.Not.EqualTo(1), "a close frame's payload of 1 byte");
        var code = BinaryPrimitives.ReadUInt16BigEndian(payload);
        Assert.That(WebSocketFrames.IsValidCloseStatus(code), Is.True, $"the node sent close code {code}, which RFC 6455 forbids on the wire");
        Assert.That(Utf8.IsValid(payload.AsSpan(2)), Is.True, "the node's close reason is UTF-8");
        return code;
    }

    public void Dispose() => _socket.Dispose();

    private static string CloseOf(byte[] payload) => CloseStatusOf(payload) is { } code ? $"close {code}" : "close (no code)";

    private static string Printable(byte[] bytes) =>
        bytes.All(b => b is >= 0x20 and < 0x7F) ? Encoding.ASCII.GetString(bytes) : Convert.ToHexString(bytes);

    private async Task<byte> ReadByteAsync()
    {
        var one = new byte[1];
        await _stream.ReadExactlyAsync(one).AsTask().Within();
        return one[0];
    }
}
