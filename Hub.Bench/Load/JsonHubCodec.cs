using System.Buffers;
using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Hub.Bench.Load;

/// <summary>SignalR's JSON hub protocol: every frame a JSON object ending in the record separator 0x1E.</summary>
internal sealed class JsonHubCodec : IHubCodec
{
    public const byte RecordSeparator = 0x1E;

    public static readonly JsonHubCodec Instance = new();

    private static readonly byte[] HandshakeRecord = Encoding.UTF8.GetBytes("{\"protocol\":\"json\",\"version\":1}\u001e");
    private static readonly byte[] PingRecord = Encoding.UTF8.GetBytes("{\"type\":6}\u001e");

    /// <summary>How many of the messages read the quick way (<see cref="Read"/>) are read by the JSON reader as well, to compare.</summary>
    private const int CheckedMessages = 1000;

    private static readonly SearchValues<byte> StringEndOrEscape = SearchValues.Create([.. Enumerable.Range(0, 0x20).Select(b => (byte)b), (byte)'"', (byte)'\\']);

    private static int _checked;

    private JsonHubCodec()
    {
    }

    public string Name => "json";

    public bool IsBinary => false;

    public ReadOnlyMemory<byte> Handshake => HandshakeRecord;

    public ReadOnlyMemory<byte> Ping => PingRecord;

    public int TryReadFrame(ReadOnlyMemory<byte> buffer, out HubFrame frame)
    {
        var span = buffer.Span;
        var separator = span.IndexOf(RecordSeparator);
        frame = separator >= 0 ? Read(span[..separator]) : default;
        return separator + 1;
    }

    public byte[] EncodeInvocation(long invocationId, string target, params ReadOnlySpan<string> arguments) =>
        Encoding.UTF8.GetBytes($"{{\"type\":1,\"invocationId\":\"{invocationId}\",\"target\":\"{target}\",\"arguments\":[\"{string.Join("\",\"", arguments)}\"]}}\u001e");

    public byte[] EncodeResume(long invocationId, string stream, string epoch, long offset)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            // Resume({ streams: [{ stream, epoch, offset }] }), as Hub.Client sends it after a reconnect.
            writer.WriteStartObject();
            writer.WriteNumber("type", HubFrame.Invocation);
            writer.WriteString("invocationId", invocationId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            writer.WriteString("target", "Resume");
            writer.WriteStartArray("arguments");
            writer.WriteStartObject();
            writer.WriteStartArray("streams");
            writer.WriteStartObject();
            writer.WriteString("stream", stream);
            writer.WriteString("epoch", epoch);
            writer.WriteNumber("offset", offset);
            writer.WriteEndObject();
            writer.WriteEndArray();
            writer.WriteEndObject();
            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        System.Buffers.BuffersExtensions.Write(buffer, [RecordSeparator]);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// A message as Hub writes it, <c>Receive</c> with one flat object (<see cref="TryReadMessage"/>),
    /// read without a JSON reader; anything else by <see cref="Parse"/>. At a fan-out's top rates the
    /// bench reads some 400,000 messages a second on the cores the servers use: the full reader
    /// cost it a fifth of its CPU, which the servers it measures then lacked. The first
    /// <see cref="CheckedMessages"/> messages read the quick way are read by <see cref="Parse"/> as
    /// well and must come out the same (so every CI smoke compares them).
    /// </summary>
    private static HubFrame Read(ReadOnlySpan<byte> json)
    {
        if (!TryReadMessage(json, out var text, out var offset, out var epoch))
        {
            return Parse(json);
        }

        var frame = new HubFrame(HubFrame.Invocation, isReceive: true, text: text, point: offset >= 0 ? new StreamPoint(offset, epoch, null) : default);
        // Read before the increment: past the first thousand the receivers' threads do not write the shared counter.
        if (Volatile.Read(ref _checked) < CheckedMessages && Interlocked.Increment(ref _checked) <= CheckedMessages)
        {
            var parsed = Parse(json);
            if (parsed.Type != frame.Type || parsed.IsReceive != frame.IsReceive || parsed.InvocationId != frame.InvocationId || parsed.Error != frame.Error
                || !parsed.Text.SequenceEqual(frame.Text) || parsed.Point.Known != frame.Point.Known || parsed.Point.Offset != frame.Point.Offset
                || !parsed.Point.Epoch.SequenceEqual(frame.Point.Epoch) || parsed.Point.Recovered != frame.Point.Recovered)
            {
                throw new InvalidOperationException($"The bench's quick read of a message differs from the JSON reader's: {Encoding.UTF8.GetString(json)}");
            }
        }

        return frame;
    }

    private static ReadOnlySpan<byte> MessageStart => "{\"type\":1,\"target\":\"Receive\",\"arguments\":[{"u8;

    private static ReadOnlySpan<byte> MessageEnd => "}]}"u8;

    /// <summary>
    /// Reads <c>{"type":1,"target":"Receive","arguments":[{…}]}</c> whose object holds only
    /// strings without escapes, integers, <c>true</c>, <c>false</c> and <c>null</c>, with no
    /// whitespace: its <c>text</c>, <c>offset</c> and <c>epoch</c>. False for anything else (other
    /// frames, other field order, nested values, escapes, malformed JSON), which <see cref="Parse"/> reads.
    /// </summary>
    private static bool TryReadMessage(ReadOnlySpan<byte> json, out ReadOnlySpan<byte> text, out long offset, out ReadOnlySpan<byte> epoch)
    {
        text = default;
        epoch = default;
        offset = -1;
        if (!json.StartsWith(MessageStart) || !json.EndsWith(MessageEnd))
        {
            return false;
        }

        var fields = json[MessageStart.Length..^MessageEnd.Length];
        while (!fields.IsEmpty)
        {
            var nameEnd = StringEnd(fields);
            if (nameEnd < 0 || nameEnd + 1 >= fields.Length || fields[nameEnd + 1] != (byte)':')
            {
                return false;
            }

            var name = fields[1..nameEnd];
            fields = fields[(nameEnd + 2)..];
            var stringEnd = StringEnd(fields);
            if (stringEnd > 0)
            {
                var value = fields[1..stringEnd];
                fields = fields[(stringEnd + 1)..];
                if (name.SequenceEqual("offset"u8))
                {
                    return false;
                }

                if (name.SequenceEqual("text"u8))
                {
                    text = value;
                }
                else if (name.SequenceEqual("epoch"u8))
                {
                    epoch = value;
                }
            }
            else if (!fields.IsEmpty && fields[0] == (byte)'"')
            {
                return false;
            }
            else
            {
                var end = fields.IndexOf((byte)',');
                var value = end < 0 ? fields : fields[..end];
                fields = fields[value.Length..];
                var isInteger = IsInteger(value);
                if (name.SequenceEqual("offset"u8))
                {
                    if (!isInteger || !Utf8Parser.TryParse(value, out offset, out _))
                    {
                        return false;
                    }
                }
                else if (name.SequenceEqual("text"u8) || name.SequenceEqual("epoch"u8)
                    || !(isInteger || value.SequenceEqual("null"u8) || value.SequenceEqual("true"u8) || value.SequenceEqual("false"u8)))
                {
                    return false;
                }
            }

            if (!fields.IsEmpty)
            {
                if (fields[0] != (byte)',' || fields.Length == 1)
                {
                    return false;
                }

                fields = fields[1..];
            }
        }

        return true;
    }

    /// <summary>
    /// Where the string at the start of <paramref name="json"/> ends (its closing quote), if it has
    /// no escape or control character in it and is valid UTF-8; -1 otherwise.
    /// </summary>
    private static int StringEnd(ReadOnlySpan<byte> json)
    {
        if (json.IsEmpty || json[0] != (byte)'"')
        {
            return -1;
        }

        var end = json[1..].IndexOfAny(StringEndOrEscape) + 1;
        return end > 0 && json[end] == (byte)'"' && Utf8.IsValid(json[1..end]) ? end : -1;
    }

    /// <summary>A JSON integer: an optional minus, then 0 or digits not starting with 0.</summary>
    private static bool IsInteger(ReadOnlySpan<byte> value)
    {
        var digits = !value.IsEmpty && value[0] == (byte)'-' ? value[1..] : value;
        return !digits.IsEmpty && !digits.ContainsAnyExceptInRange((byte)'0', (byte)'9') && (digits[0] != (byte)'0' || digits.Length == 1);
    }

    private static HubFrame Parse(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        int type = 0;
        var isReceive = false;
        long invocationId = -1;
        string? error = null;
        ReadOnlySpan<byte> text = default;
        ReadOnlySpan<byte> epoch = default;
        long offset = -1;
        bool? recovered = null;
        while (reader.Read())
        {
            if (reader.TokenType != JsonTokenType.PropertyName)
            {
                continue;
            }

            // Depth 1: the hub message's own fields; depth 3: the fields of Receive's Message argument.
            var depth = reader.CurrentDepth;
            if (depth == 1 && reader.ValueTextEquals("type"u8))
            {
                reader.Read();
                type = reader.GetInt32();
            }
            else if (depth == 1 && reader.ValueTextEquals("target"u8))
            {
                reader.Read();
                isReceive = reader.ValueTextEquals("Receive"u8);
            }
            else if (depth == 1 && reader.ValueTextEquals("invocationId"u8))
            {
                reader.Read();
                invocationId = Utf8Parser.TryParse(reader.ValueSpan, out long id, out _) ? id : -1;
            }
            else if (depth == 1 && reader.ValueTextEquals("error"u8))
            {
                reader.Read();
                error = reader.GetString();
            }
            else if (depth == 3 && reader.ValueTextEquals("text"u8))
            {
                reader.Read();
                text = reader.ValueSpan;
            }
            else if (depth >= 2 && reader.ValueTextEquals("offset"u8))
            {
                // Depth 2: a Join's answer; 3: a message; 4: the one stream of a Resume's answer.
                reader.Read();
                offset = reader.GetInt64();
            }
            else if (depth >= 2 && reader.ValueTextEquals("epoch"u8))
            {
                reader.Read();
                epoch = reader.ValueSpan;
            }
            else if (depth == 4 && reader.ValueTextEquals("recovered"u8))
            {
                reader.Read();
                recovered = reader.GetBoolean();
            }
        }

        return new HubFrame(type, isReceive, invocationId, error, text, offset >= 0 ? new StreamPoint(offset, epoch, recovered) : default);
    }
}
