using System.Buffers;

namespace Hub.Server.WebSockets;

/// <summary>
/// Reads a client's frames out of the bytes it sent: data frames' payloads are unmasked into an
/// <see cref="UnmaskedPayload"/> as their bytes arrive (a frame may span reads), control frames
/// are handed back whole, unmasked, to be answered. A text message's UTF-8 is checked as it is
/// unmasked (<see cref="Utf8Validator"/>); binary ones are not. A struct held by its reader: no
/// object of its own per connection.
/// </summary>
internal struct ClientFrameDecoder
{
    // The data frame being read: payload bytes still to come, the key and where in it the next byte is.
    private long _remaining;
    private uint _mask;
    private int _maskOffset;

    // A message's final frame has not come yet; the message being read is text.
    private bool _inMessage;
    private bool _text;
    private Utf8Validator _utf8;

    /// <summary>
    /// Decodes from the front of <paramref name="buffer"/> (left past what was used) until a whole
    /// control frame (true, in <paramref name="control"/>) or the end of what is whole (false: a
    /// partial header or control frame waits for more bytes).
    /// </summary>
    /// <exception cref="WebSocketFrameException">The client broke RFC 6455's framing or fragmentation rules, or sent text that is not UTF-8.</exception>
    public bool TryDecode(ref ReadOnlySequence<byte> buffer, ref UnmaskedPayload payload, out ControlFrame control)
    {
        control = default;
        while (!buffer.IsEmpty)
        {
            if (_remaining > 0)
            {
                var take = Math.Min(_remaining, buffer.Length);
                var unmasked = payload.Append(buffer.Slice(0, take), _mask, ref _maskOffset);
                _remaining -= take;
                buffer = buffer.Slice(take);
                CheckText(unmasked, payload.Discarding);
                continue;
            }

            if (!WebSocketFrames.TryReadHeader(buffer, out var header) ||
                (header.IsControl && buffer.Length < header.Length + header.PayloadLength))
            {
                return false;
            }

            if (header.IsControl)
            {
                var bytes = buffer.Slice(header.Length, header.PayloadLength).ToArray();
                WebSocketFrames.Unmask(bytes, bytes, header.Mask, 0);
                buffer = buffer.Slice(header.Length + bytes.Length);
                control = new ControlFrame(header.Opcode, bytes);
                return true;
            }

            if ((header.Opcode == WebSocketFrames.Continuation) != _inMessage)
            {
                throw new WebSocketFrameException(_inMessage
                    ? "A new message began before the last one's final frame."
                    : "A continuation frame came with no message to continue.");
            }

            if (header.Opcode != WebSocketFrames.Continuation)
            {
                _text = header.Opcode == WebSocketFrames.Text;
            }

            _inMessage = !header.Fin;
            _remaining = header.PayloadLength;
            _mask = header.Mask;
            _maskOffset = 0;
            buffer = buffer.Slice(header.Length);
            CheckText([], payload.Discarding);
        }

        return false;
    }

    // Fails at the first piece of a text message that cannot be UTF-8, and at the end of one that
    // leaves a code point cut short. Once the hub reads no more, its data is neither kept nor checked.
    private void CheckText(ReadOnlySpan<byte> unmasked, bool discarding)
    {
        if (!_text || discarding)
        {
            return;
        }

        var ended = _remaining == 0 && !_inMessage;
        if (!_utf8.TryAppend(unmasked) || (ended && !_utf8.AtBoundary))
        {
            throw new WebSocketFrameException("A text message is not valid UTF-8.", WebSocketFrames.InvalidPayloadData);
        }

        if (ended)
        {
            _utf8 = default;
        }
    }
}

/// <summary>A whole control frame from the client, its payload unmasked.</summary>
internal readonly record struct ControlFrame(byte Opcode, byte[] Payload);
