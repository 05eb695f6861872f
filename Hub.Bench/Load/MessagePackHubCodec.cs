using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Text;
using MessagePack;

namespace Hub.Bench.Load;

/// <summary>
/// SignalR's MessagePack hub protocol: every frame one MessagePack array behind its length as
/// a VarInt (7 bits a byte, low bits first). Receive's argument is Hub's <c>Message</c>, which
/// its <c>[Key("…")]</c> attributes make a map with string keys; only <c>text</c> is read.
/// </summary>
internal sealed class MessagePackHubCodec : IHubCodec
{
    public static readonly MessagePackHubCodec Instance = new();

    private const int ErrorResult = 1;
    private const int MaxLengthPrefixBytes = 5;

    private static readonly byte[] HandshakeRecord = Encoding.UTF8.GetBytes("{\"protocol\":\"messagepack\",\"version\":1}\u001e");

    // Length 2, then [6].
    private static readonly byte[] PingFrame = [0x02, 0x91, HubFrame.Ping];

    // Encoding runs synchronously, so one body buffer per thread serves every socket.
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_body;

    private MessagePackHubCodec()
    {
    }

    public string Name => "messagepack";

    public bool IsBinary => true;

    public ReadOnlyMemory<byte> Handshake => HandshakeRecord;

    public ReadOnlyMemory<byte> Ping => PingFrame;

    public int TryReadFrame(ReadOnlyMemory<byte> buffer, out HubFrame frame)
    {
        frame = default;
        var span = buffer.Span;
        var length = 0;
        for (var i = 0; i < MaxLengthPrefixBytes && i < span.Length; i++)
        {
            length |= (span[i] & 0x7F) << (7 * i);
            if ((span[i] & 0x80) == 0)
            {
                var start = i + 1;
                if (length <= 0)
                {
                    throw new IOException($"A MessagePack frame of {length} bytes arrived.");
                }

                if (span.Length - start < length)
                {
                    return 0;
                }

                frame = Parse(buffer.Slice(start, length));
                return start + length;
            }
        }

        return span.Length < MaxLengthPrefixBytes
            ? 0
            : throw new IOException("A MessagePack frame's length prefix is longer than 5 bytes.");
    }

    public byte[] EncodeInvocation(long invocationId, string target, params ReadOnlySpan<string> arguments)
    {
        var body = t_body ??= new ArrayBufferWriter<byte>(256);
        body.ResetWrittenCount();
        var writer = new MessagePackWriter(body);
        // [1, headers, invocationId, target, arguments, streamIds]
        writer.WriteArrayHeader(6);
        writer.Write(HubFrame.Invocation);
        writer.WriteMapHeader(0);
        writer.Write(invocationId.ToString(CultureInfo.InvariantCulture));
        writer.Write(target);
        writer.WriteArrayHeader(arguments.Length);
        foreach (var argument in arguments)
        {
            writer.Write(argument);
        }

        writer.WriteArrayHeader(0);
        writer.Flush();

        Span<byte> prefix = stackalloc byte[MaxLengthPrefixBytes];
        var prefixLength = 0;
        for (var rest = (uint)body.WrittenCount; ; rest >>= 7)
        {
            prefix[prefixLength++] = (byte)(rest >= 0x80 ? rest | 0x80 : rest);
            if (rest < 0x80)
            {
                break;
            }
        }

        var frame = new byte[prefixLength + body.WrittenCount];
        prefix[..prefixLength].CopyTo(frame);
        body.WrittenSpan.CopyTo(frame.AsSpan(prefixLength));
        return frame;
    }

    private static HubFrame Parse(ReadOnlyMemory<byte> body)
    {
        var reader = new MessagePackReader(body);
        var count = reader.ReadArrayHeader();
        var type = reader.ReadInt32();
        switch (type)
        {
            case HubFrame.Invocation:
                // [1, headers, invocationId, target, arguments, (streamIds)]
                reader.Skip();
                reader.Skip();
                if (!reader.TryReadStringSpan(out var target) || !target.SequenceEqual("Receive"u8))
                {
                    return new HubFrame(type);
                }

                return new HubFrame(type, isReceive: true, text: ReceivedText(ref reader));

            case HubFrame.Completion:
                // [3, headers, invocationId, resultKind, (result)]
                reader.Skip();
                var invocationId = reader.TryReadStringSpan(out var id) && Utf8Parser.TryParse(id, out long parsed, out _) ? parsed : -1;
                var error = reader.ReadInt32() == ErrorResult ? reader.ReadString() ?? "no error given" : null;
                return new HubFrame(type, invocationId: invocationId, error: error);

            case HubFrame.Close:
                // [7, error, (allowReconnect)]
                return new HubFrame(type, error: count > 1 ? reader.ReadString() : null);

            default:
                return new HubFrame(type);
        }
    }

    /// <summary>The <c>text</c> of the Message that is Receive's first argument, as a span of the frame.</summary>
    private static ReadOnlySpan<byte> ReceivedText(scoped ref MessagePackReader reader)
    {
        if (reader.ReadArrayHeader() == 0)
        {
            return default;
        }

        for (var fields = reader.ReadMapHeader(); fields > 0; fields--)
        {
            if (reader.TryReadStringSpan(out var key) && key.SequenceEqual("text"u8) && reader.TryReadStringSpan(out var text))
            {
                return text;
            }

            reader.Skip();
        }

        return default;
    }
}
