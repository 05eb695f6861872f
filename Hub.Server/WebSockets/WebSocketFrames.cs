using System.Buffers;
using System.Buffers.Binary;
using System.Text.Unicode;

namespace Hub.Server.WebSockets;

/// <summary>RFC 6455 framing: what the direct path reads from clients and writes to them.</summary>
internal static class WebSocketFrames
{
    public const byte Continuation = 0x0;
    public const byte Text = 0x1;
    public const byte Binary = 0x2;
    public const byte Close = 0x8;
    public const byte Ping = 0x9;
    public const byte Pong = 0xA;

    public const ushort NormalClosure = 1000;
    public const ushort ProtocolError = 1002;
    public const ushort InvalidPayloadData = 1007;
    public const ushort InternalError = 1011;

    /// <summary>The longest payload of a control frame (RFC 6455 §5.5).</summary>
    public const int MaxControlPayload = 125;

    /// <summary>The largest header a server writes (no mask): 2 bytes and a 64-bit length.</summary>
    public const int MaxServerHeader = 10;

    /// <summary>Writes one unfragmented, unmasked frame's header; returns its length.</summary>
    public static int WriteHeader(Span<byte> destination, byte opcode, long payloadLength)
    {
        destination[0] = (byte)(0x80 | opcode);
        if (payloadLength <= 125)
        {
            destination[1] = (byte)payloadLength;
            return 2;
        }

        if (payloadLength <= ushort.MaxValue)
        {
            destination[1] = 126;
            BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)payloadLength);
            return 4;
        }

        destination[1] = 127;
        BinaryPrimitives.WriteUInt64BigEndian(destination[2..], (ulong)payloadLength);
        return 10;
    }

    /// <summary>Writes a whole frame to <paramref name="output"/> (not flushed); a large payload may span its segments.</summary>
    public static void Write(IBufferWriter<byte> output, byte opcode, ReadOnlySpan<byte> payload)
    {
        output.Advance(WriteHeader(output.GetSpan(MaxServerHeader), opcode, payload.Length));
        output.Write(payload);
    }

    /// <summary>
    /// A status code a close frame may carry (RFC 6455 §7.4), the ones ManagedWebSocket accepts:
    /// 1000–1003, 1007–1014 and 3000–4999. The rest of 1000–2999 is reserved (1004), never sent
    /// (1005, 1006, 1015) or not registered; below 1000 and from 5000 on are not status codes.
    /// </summary>
    public static bool IsValidCloseStatus(int code) => code is (>= 1000 and <= 1003) or (>= 1007 and <= 1014) or (>= 3000 and <= 4999);

    /// <summary>
    /// A close frame's payload: the status code, then the reason cut to whole characters within 123
    /// UTF-8 bytes, so that it stays UTF-8 as the client must find it.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">RFC 6455 forbids <paramref name="code"/> on the wire.</exception>
    public static byte[] ClosePayload(ushort code, string reason)
    {
        if (!IsValidCloseStatus(code))
        {
            throw new ArgumentOutOfRangeException(nameof(code), code, "RFC 6455 forbids this close status code on the wire.");
        }

        Span<byte> payload = stackalloc byte[MaxControlPayload];
        BinaryPrimitives.WriteUInt16BigEndian(payload, code);
        Utf8.FromUtf16(reason, payload[2..], out _, out var written);
        return payload[..(2 + written)].ToArray();
    }

    /// <summary>
    /// The status code of a client's close frame, null when it has none. Throws
    /// <see cref="WebSocketFrameException"/> (1002, as ManagedWebSocket) for a payload of 1 byte, a
    /// code no endpoint may send, or a reason that is not UTF-8.
    /// </summary>
    public static ushort? ReadCloseStatus(ReadOnlySpan<byte> payload)
    {
        if (payload.IsEmpty)
        {
            return null;
        }

        if (payload.Length == 1)
        {
            throw new WebSocketFrameException("A close frame's payload is 1 byte: a status code takes 2.");
        }

        var code = BinaryPrimitives.ReadUInt16BigEndian(payload);
        if (!IsValidCloseStatus(code))
        {
            throw new WebSocketFrameException($"A close frame has the status code {code}, which no endpoint may send.");
        }

        if (!Utf8.IsValid(payload[2..]))
        {
            throw new WebSocketFrameException("A close frame's reason is not valid UTF-8.");
        }

        return code;
    }

    /// <summary>
    /// Reads a client frame's header if it is all in <paramref name="buffer"/>. Throws
    /// <see cref="WebSocketFrameException"/> for a header no client may send.
    /// </summary>
    public static bool TryReadHeader(ReadOnlySequence<byte> buffer, out FrameHeader header)
    {
        header = default;
        Span<byte> bytes = stackalloc byte[14];
        if (buffer.Length < 2)
        {
            return false;
        }

        var available = (int)Math.Min(buffer.Length, bytes.Length);
        buffer.Slice(0, available).CopyTo(bytes);
        var opcode = (byte)(bytes[0] & 0x0F);
        var fin = (bytes[0] & 0x80) != 0;
        if ((bytes[0] & 0x70) != 0)
        {
            throw new WebSocketFrameException("A frame has reserved bits set, and no extension was agreed.");
        }

        if ((bytes[1] & 0x80) == 0)
        {
            throw new WebSocketFrameException("A client frame is not masked.");
        }

        var length7 = bytes[1] & 0x7F;
        var lengthBytes = length7 switch { 126 => 2, 127 => 8, _ => 0 };
        var headerLength = 2 + lengthBytes + 4;
        if (available < headerLength)
        {
            return false;
        }

        long length = length7 switch
        {
            126 => BinaryPrimitives.ReadUInt16BigEndian(bytes[2..]),
            127 => (long)BinaryPrimitives.ReadUInt64BigEndian(bytes[2..]),
            _ => length7,
        };
        if (length < 0)
        {
            throw new WebSocketFrameException("A frame's length has its most significant bit set.");
        }

        if (opcode is > Binary and < Close or > Pong)
        {
            throw new WebSocketFrameException($"A frame has the unknown opcode {opcode}.");
        }

        if (opcode >= Close && (!fin || length > MaxControlPayload))
        {
            throw new WebSocketFrameException("A control frame is fragmented or longer than 125 bytes.");
        }

        header = new FrameHeader(opcode, fin, length, BinaryPrimitives.ReadUInt32LittleEndian(bytes[(2 + lengthBytes)..]), headerLength);
        return true;
    }

    /// <summary>
    /// Copies <paramref name="source"/> to <paramref name="destination"/> unmasked with
    /// <paramref name="mask"/> (the 4 key bytes, little-endian), starting at key byte <paramref name="offset"/>.
    /// </summary>
    public static void Unmask(ReadOnlySpan<byte> source, Span<byte> destination, uint mask, int offset)
    {
        for (var i = 0; i < source.Length; i++)
        {
            destination[i] = (byte)(source[i] ^ (byte)(mask >> (((offset + i) & 3) * 8)));
        }
    }
}
