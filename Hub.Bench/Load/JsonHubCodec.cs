using System.Buffers.Text;
using System.Text;
using System.Text.Json;

namespace Hub.Bench.Load;

/// <summary>SignalR's JSON hub protocol: every frame a JSON object ending in the record separator 0x1E.</summary>
internal sealed class JsonHubCodec : IHubCodec
{
    public const byte RecordSeparator = 0x1E;

    public static readonly JsonHubCodec Instance = new();

    private static readonly byte[] HandshakeRecord = Encoding.UTF8.GetBytes("{\"protocol\":\"json\",\"version\":1}\u001e");
    private static readonly byte[] PingRecord = Encoding.UTF8.GetBytes("{\"type\":6}\u001e");

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
        frame = separator >= 0 ? Parse(span[..separator]) : default;
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
