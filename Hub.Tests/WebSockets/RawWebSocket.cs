using System.Buffers.Binary;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
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
    public async Task SendFrameAsync(byte opcode, byte[] payload, bool fin = true, bool mask = true)
    {
        var frame = new List<byte> { (byte)((fin ? 0x80 : 0) | opcode) };
        var maskBit = mask ? 0x80 : 0;
        if (payload.Length <= 125)
        {
            frame.Add((byte)(maskBit | payload.Length));
        }
        else
        {
            frame.Add((byte)(maskBit | 126));
            frame.Add((byte)(payload.Length >> 8));
            frame.Add((byte)payload.Length);
        }

        var key = mask ? RandomNumberGenerator.GetBytes(4) : [];
        frame.AddRange(key);
        frame.AddRange(mask ? payload.Select((b, i) => (byte)(b ^ key[i % 4])) : payload);
        await _stream.WriteAsync(frame.ToArray()).AsTask().Within();
    }

    /// <summary>The next frame from the node; null when it closed the socket.</summary>
    public async Task<(byte Opcode, byte[] Payload)?> ReadFrameAsync()
    {
        var first = new byte[2];
        if (await _stream.ReadAtLeastAsync(first, 2, throwOnEndOfStream: false).AsTask().Within() < 2)
        {
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

    public void Dispose() => _socket.Dispose();

    private async Task<byte> ReadByteAsync()
    {
        var one = new byte[1];
        await _stream.ReadExactlyAsync(one).AsTask().Within();
        return one[0];
    }
}
