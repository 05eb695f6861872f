using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Hub.Bench.Load;

/// <summary>
/// An idle SignalR JSON connection on a WebSocket written by hand, light enough for a hundred
/// thousand in one process: a TCP socket from a chosen loopback source address, the HTTP
/// upgrade, the hub handshake, then only reading (the server's pings, broadcasts) and a ping
/// when asked. No ClientWebSocket and no buffer of its own while idle: it waits with a
/// zero-byte read and reads into a pooled buffer, keeping bytes only when a frame was split.
/// To the raw peer (<see cref="RawSocket"/>) it is a bare WebSocket: no handshake after the upgrade.
/// </summary>
internal sealed class IdleSocket : IDisposable
{
    private const int ReadBytes = 4096;
    private const byte Text = 1;
    private const byte Close = 8;
    private const string Handshake = "{\"protocol\":\"json\",\"version\":1}\u001e";
    private const string Ping = "{\"type\":6}\u001e";
    private static readonly byte[] HandshakeFrame = ClientFrame(Handshake);
    private static readonly byte[] PingFrame = ClientFrame(Ping);
    private static readonly byte[] HandshakeRecord = Encoding.UTF8.GetBytes(Handshake);
    private static readonly byte[] PingRecord = Encoding.UTF8.GetBytes(Ping);

    private readonly Socket _socket;
    private readonly IIdleSocketOwner _owner;
    private readonly bool _tcp;
    private byte[]? _partial;

    private IdleSocket(Socket socket, IIdleSocketOwner owner, bool tcp)
    {
        _socket = socket;
        _owner = owner;
        _tcp = tcp;
    }

    /// <summary>The last broadcast this connection saw, for its owner to count each one once.</summary>
    public int LastSeen { get; set; }

    /// <summary>
    /// Connects from <paramref name="source"/> to <paramref name="hub"/> (<c>http://127.0.0.1:port/hub</c>, or Hub's
    /// TCP endpoint <c>tcp://127.0.0.1:port</c>, whose records go bare after a greeting) and completes the hub handshake;
    /// with <paramref name="bare"/>, to a WebSocket that needs no handshake (the raw peer's <c>/ws</c>).
    /// </summary>
    public static async Task<IdleSocket> ConnectAsync(Uri hub, IPAddress source, IIdleSocketOwner owner, bool bare, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var buffer = ArrayPool<byte>.Shared.Rent(ReadBytes);
        try
        {
            // Each source address has its own ephemeral ports: one port range per 127.0.0.x.
            socket.Bind(new IPEndPoint(source, 0));
            await socket.ConnectAsync(IPAddress.Parse(hub.Host), hub.Port, cancellationToken);
            if (hub.Scheme == "tcp")
            {
                return await HandshakeAsync(new IdleSocket(socket, owner, tcp: true), buffer, 0, HandshakeRecord, hub, cancellationToken);
            }

            await SendAllAsync(socket, Encoding.ASCII.GetBytes(
                $"GET {hub.AbsolutePath} HTTP/1.1\r\nHost: {hub.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"), cancellationToken);

            var length = 0;
            int headersEnd;
            while ((headersEnd = buffer.AsSpan(0, length).IndexOf("\r\n\r\n"u8)) < 0)
            {
                length += await ReadSomeAsync(socket, buffer.AsMemory(length), hub, cancellationToken);
            }

            if (!buffer.AsSpan(0, length).StartsWith("HTTP/1.1 101"u8))
            {
                throw new IOException($"{hub} refused the WebSocket upgrade: {Encoding.ASCII.GetString(buffer, 0, buffer.AsSpan(0, length).IndexOf("\r\n"u8))}");
            }

            buffer.AsSpan(headersEnd + 4, length - headersEnd - 4).CopyTo(buffer);
            var idle = new IdleSocket(socket, owner, tcp: false);
            if (bare)
            {
                idle.StartReceiving(buffer, 0, length - headersEnd - 4);
                return idle;
            }

            return await HandshakeAsync(idle, buffer, length - headersEnd - 4, HandshakeFrame, hub, cancellationToken);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>A SignalR ping, so the server does not time the connection out (it expects one within 30 s).</summary>
    public async Task PingAsync(CancellationToken cancellationToken) => await SendAllAsync(_socket, _tcp ? PingRecord : PingFrame, cancellationToken);

    public void Dispose() => _socket.Dispose();

    private async Task ReceiveAsync()
    {
        try
        {
            while (true)
            {
                // Waits without a buffer until something arrives: an idle connection holds no memory for reading.
                await _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None);
                var kept = _partial?.Length ?? 0;
                var buffer = ArrayPool<byte>.Shared.Rent(kept + ReadBytes);
                try
                {
                    _partial?.CopyTo(buffer, 0);
                    _partial = null;
                    var read = await _socket.ReceiveAsync(buffer.AsMemory(kept), SocketFlags.None);
                    if (read == 0)
                    {
                        _owner.OnClosed(this, "the server closed the connection");
                        return;
                    }

                    var length = kept + read;
                    var offset = 0;
                    int frameLength;
                    while ((frameLength = TryReadUnit(buffer.AsSpan(offset, length - offset), _tcp, out var opcode, out var payload)) > 0)
                    {
                        offset += frameLength;
                        if (opcode == Close)
                        {
                            _owner.OnClosed(this, $"the server closed the WebSocket: {Encoding.UTF8.GetString(payload[Math.Min(2, payload.Length)..])}");
                            return;
                        }

                        // Text frames and their continuations; the server's keep-alive pongs carry nothing for the owner.
                        if (opcode is Text or 0)
                        {
                            _owner.OnPayload(this, payload);
                        }
                    }

                    if (offset < length)
                    {
                        _partial = buffer[offset..length];
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
        }
        catch (ObjectDisposedException)
        {
            // The bench let go.
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.OperationAborted)
        {
            // The bench let go.
        }
        catch (Exception ex)
        {
            _owner.OnClosed(this, $"{ex.GetType().Name}: {ex.Message}");
        }
    }

    /// <summary>
    /// Over TCP, waits for the node's greeting; then sends the hub handshake and waits for its reply
    /// (<paramref name="length"/> bytes already in <paramref name="buffer"/>), and starts reading.
    /// </summary>
    private static async Task<IdleSocket> HandshakeAsync(IdleSocket idle, byte[] buffer, int length, byte[] handshake, Uri hub, CancellationToken cancellationToken)
    {
        int end;
        if (idle._tcp)
        {
            while ((end = HandshakeReplyEnd(buffer.AsSpan(0, length), tcp: true, hub)) == 0)
            {
                length += await ReadSomeAsync(idle._socket, buffer.AsMemory(length), hub, cancellationToken);
            }

            buffer.AsSpan(end, length - end).CopyTo(buffer);
            length -= end;
        }

        await SendAllAsync(idle._socket, handshake, cancellationToken);
        while ((end = HandshakeReplyEnd(buffer.AsSpan(0, length), idle._tcp, hub)) == 0)
        {
            length += await ReadSomeAsync(idle._socket, buffer.AsMemory(length), hub, cancellationToken);
        }

        idle.StartReceiving(buffer, end, length);
        return idle;
    }

    /// <summary>Reading from now on; what was read past the handshake (<paramref name="buffer"/> from <paramref name="start"/> to <paramref name="end"/>) comes first.</summary>
    private void StartReceiving(byte[] buffer, int start, int end)
    {
        if (end > start)
        {
            _partial = buffer[start..end];
        }

        _ = ReceiveAsync();
    }

    /// <summary>Where the first text record (the greeting, the handshake's reply) ends in <paramref name="buffer"/>, 0 while it has not all arrived; throws if the server refused.</summary>
    private static int HandshakeReplyEnd(ReadOnlySpan<byte> buffer, bool tcp, Uri hub)
    {
        var offset = 0;
        int frameLength;
        while ((frameLength = TryReadUnit(buffer[offset..], tcp, out var opcode, out var payload)) > 0)
        {
            offset += frameLength;
            if (opcode == Text && payload.IndexOf("\"error\""u8) >= 0)
            {
                throw new IOException($"{hub} refused the handshake: {Encoding.UTF8.GetString(payload)}");
            }

            if (opcode == Text)
            {
                return offset;
            }
        }

        return 0;
    }

    /// <summary>Over TCP one record (up to its separator, as a text frame), else one WebSocket frame; 0 while incomplete.</summary>
    private static int TryReadUnit(ReadOnlySpan<byte> buffer, bool tcp, out byte opcode, out ReadOnlySpan<byte> payload)
    {
        if (!tcp)
        {
            return TryReadFrame(buffer, out opcode, out payload);
        }

        var end = buffer.IndexOf((byte)0x1e);
        opcode = Text;
        payload = end < 0 ? default : buffer[..(end + 1)];
        return end + 1;
    }

    /// <summary>
    /// The length of the whole server frame at the start of <paramref name="buffer"/> (unmasked,
    /// as servers send them), or 0 while it is incomplete.
    /// </summary>
    private static int TryReadFrame(ReadOnlySpan<byte> buffer, out byte opcode, out ReadOnlySpan<byte> payload)
    {
        opcode = 0;
        payload = default;
        if (buffer.Length < 2)
        {
            return 0;
        }

        if ((buffer[1] & 0x80) != 0)
        {
            throw new IOException("The server sent a masked frame.");
        }

        var (header, length) = (buffer[1] & 0x7F) switch
        {
            126 when buffer.Length >= 4 => (4, (long)BinaryPrimitives.ReadUInt16BigEndian(buffer[2..])),
            127 when buffer.Length >= 10 => (10, (long)BinaryPrimitives.ReadUInt64BigEndian(buffer[2..])),
            126 or 127 => (0, 0L),
            var small => (2, small),
        };
        if (header == 0 || buffer.Length - header < length)
        {
            return 0;
        }

        opcode = (byte)(buffer[0] & 0x0F);
        payload = buffer.Slice(header, (int)length);
        return header + (int)length;
    }

    private static async Task<int> ReadSomeAsync(Socket socket, Memory<byte> free, Uri hub, CancellationToken cancellationToken)
    {
        if (free.IsEmpty)
        {
            throw new IOException($"{hub} sent more than {ReadBytes} bytes before the handshake's end.");
        }

        var read = await socket.ReceiveAsync(free, SocketFlags.None, cancellationToken);
        return read > 0 ? read : throw new IOException($"{hub} closed the connection during the handshake.");
    }

    private static async Task SendAllAsync(Socket socket, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        while (!bytes.IsEmpty)
        {
            bytes = bytes[await socket.SendAsync(bytes, SocketFlags.None, cancellationToken)..];
        }
    }

    /// <summary>A client's text frame, masked as clients must; every connection sends the same bytes, so they are built once.</summary>
    private static byte[] ClientFrame(string text)
    {
        byte[] mask = [0x37, 0xFA, 0x21, 0x3D];
        var payload = Encoding.UTF8.GetBytes(text);
        if (payload.Length > 125)
        {
            throw new ArgumentException("Only short frames are built here.", nameof(text));
        }

        var frame = new byte[6 + payload.Length];
        frame[0] = 0x80 | Text;
        frame[1] = (byte)(0x80 | payload.Length);
        mask.CopyTo(frame, 2);
        for (var i = 0; i < payload.Length; i++)
        {
            frame[6 + i] = (byte)(payload[i] ^ mask[i % 4]);
        }

        return frame;
    }
}

/// <summary>What an <see cref="IdleSocket"/> hands on: the payload of each text frame, and its end.</summary>
internal interface IIdleSocketOwner
{
    /// <summary>One text frame's payload (one or more SignalR records), valid only during the call.</summary>
    void OnPayload(IdleSocket socket, ReadOnlySpan<byte> payload);

    void OnClosed(IdleSocket socket, string reason);
}
