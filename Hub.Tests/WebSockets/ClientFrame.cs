using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Hub.Tests.WebSockets;

/// <summary>
/// A client's frame byte by byte, as RFC 6455 §5.2 draws it, or broken the way a test asks:
/// reserved bits, any opcode, no mask, a length in more bytes than it needs or one that lies.
/// </summary>
public static class ClientFrame
{
    /// <param name="opcode">Any 4-bit opcode, known or not.</param>
    /// <param name="payload">The payload before masking.</param>
    /// <param name="fin">The FIN bit: false for a fragment that more frames continue.</param>
    /// <param name="mask">False for an unmasked frame, which no client may send.</param>
    /// <param name="rsv">RSV1–RSV3 as a number from 0 to 7 (RSV1 the highest bit).</param>
    /// <param name="lengthBytes">0, 2 or 8 extended length bytes; null for the fewest the length needs.</param>
    /// <param name="declaredLength">The length written in the header, when it is to differ from the payload's.</param>
    /// <param name="key">The masking key; null for a random one.</param>
    public static byte[] Build(
        byte opcode, ReadOnlySpan<byte> payload, bool fin = true, bool mask = true, int rsv = 0,
        int? lengthBytes = null, ulong? declaredLength = null, byte[]? key = null)
    {
        var length = declaredLength ?? (ulong)payload.Length;
        var extended = lengthBytes ?? (length <= 125 ? 0 : length <= ushort.MaxValue ? 2 : 8);
        var maskBytes = mask ? 4 : 0;
        var frame = new byte[2 + extended + maskBytes + payload.Length];
        frame[0] = (byte)((fin ? 0x80 : 0) | (rsv << 4) | opcode);
        frame[1] = (byte)((mask ? 0x80 : 0) | extended switch { 0 => (int)length, 2 => 126, _ => 127 });
        if (extended == 2)
        {
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), (ushort)length);
        }
        else if (extended == 8)
        {
            BinaryPrimitives.WriteUInt64BigEndian(frame.AsSpan(2), length);
        }

        var body = frame.AsSpan(2 + extended + maskBytes);
        payload.CopyTo(body);
        if (mask)
        {
            key ??= RandomNumberGenerator.GetBytes(4);
            key.CopyTo(frame.AsSpan(2 + extended));
            for (var i = 0; i < body.Length; i++)
            {
                body[i] ^= key[i % 4];
            }
        }

        return frame;
    }

    /// <summary>A close frame's payload: the status code, then the reason's bytes as given.</summary>
    public static byte[] ClosePayload(ushort code, ReadOnlySpan<byte> reason = default)
    {
        var payload = new byte[2 + reason.Length];
        BinaryPrimitives.WriteUInt16BigEndian(payload, code);
        reason.CopyTo(payload.AsSpan(2));
        return payload;
    }
}
