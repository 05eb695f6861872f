using System.Buffers.Text;
using System.Text.Json;

namespace Hub.Bench.Load;

/// <summary>
/// Just enough of one SignalR JSON hub message to count and time it: its type, the target of
/// an invocation, the id and error of a completion, and the <c>text</c> of a message received.
/// </summary>
internal readonly ref struct HubFrame
{
    public const int Invocation = 1;
    public const int Completion = 3;
    public const int Ping = 6;
    public const int Close = 7;

    private HubFrame(int type, bool isReceive, long invocationId, string? error, ReadOnlySpan<byte> text)
    {
        Type = type;
        IsReceive = isReceive;
        InvocationId = invocationId;
        Error = error;
        Text = text;
    }

    public int Type { get; }

    /// <summary>An invocation of the client's <c>Receive</c>: a message.</summary>
    public bool IsReceive { get; }

    public long InvocationId { get; }

    public string? Error { get; }

    /// <summary>The message's text as raw JSON string bytes: the bench's texts need no escaping.</summary>
    public ReadOnlySpan<byte> Text { get; }

    public static HubFrame Parse(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        int type = 0;
        var isReceive = false;
        long invocationId = -1;
        string? error = null;
        ReadOnlySpan<byte> text = default;
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
        }

        return new HubFrame(type, isReceive, invocationId, error, text);
    }
}
