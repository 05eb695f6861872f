using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;
using Hub.Client;
using Hub.Client.Internal;
using MessagePack;
using MessagePack.Formatters;

namespace Hub.Server.Core;

/// <summary>
/// A message on the bus and in Redis history: a map with the public message's keys, its data as the
/// UTF-8 JSON every node holds it as (read back without a conversion) under <c>data</c>, or, when
/// the data is a string, that string under <c>text</c> alone. Text messages so keep the shape nodes
/// wrote before messages had data, and during a rolling upgrade either version reads the other's
/// text messages, and a node reads the history written before it.
/// </summary>
internal sealed class BusMessageFormatter : IMessagePackFormatter<Message?>
{
    public static readonly BusMessageFormatter Instance = new();

    public void Serialize(ref MessagePackWriter writer, Message? value, MessagePackSerializerOptions options)
    {
        if (value is null)
        {
            writer.WriteNil();
            return;
        }

        writer.WriteMapHeader(9);
        writer.Write("id");
        writer.Write(value.Id);
        writer.Write("stream");
        writer.Write(value.Stream);
        writer.Write("epoch");
        writer.Write(value.Epoch);
        writer.Write("offset");
        writer.Write(value.Offset);
        writer.Write("from");
        writer.Write(value.From);
        writer.Write("user");
        writer.Write(value.User);
        writer.Write("event");
        writer.Write(value.Event);
        if (value.Data.ValueKind == JsonValueKind.String)
        {
            writer.Write("text");
            JsonData.WriteString(ref writer, value.Data);
        }
        else
        {
            writer.Write("data");
            writer.Write(JsonMarshal.GetRawUtf8Value(value.Data));
        }

        writer.Write("sentAt");
        options.Resolver.GetFormatterWithVerify<DateTime>().Serialize(ref writer, value.SentAt, options);
    }

    /// <exception cref="FormatException">The map is not a whole message.</exception>
    public Message? Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        if (reader.TryReadNil())
        {
            return null;
        }

        options.Security.DepthStep(ref reader);
        string? id = null, stream = null, epoch = null, from = null, user = null, @event = null;
        long offset = 0;
        JsonElement data = default;
        var sentAt = default(DateTime);
        for (var members = reader.ReadMapHeader(); members > 0; members--)
        {
            switch (reader.ReadString())
            {
                case "id":
                    id = reader.ReadString();
                    break;
                case "stream":
                    stream = reader.ReadString();
                    break;
                case "epoch":
                    epoch = reader.ReadString();
                    break;
                case "offset":
                    offset = reader.ReadInt64();
                    break;
                case "from":
                    from = reader.ReadString();
                    break;
                case "user":
                    user = reader.ReadString();
                    break;
                case "event":
                    @event = reader.ReadString();
                    break;
                case "text":
                    data = JsonData.FromText(Contiguous(reader.ReadStringSequence()));
                    break;
                case "data":
                    data = JsonElement.Parse(Contiguous(reader.ReadBytes()));
                    break;
                case "sentAt":
                    sentAt = options.Resolver.GetFormatterWithVerify<DateTime>().Deserialize(ref reader, options);
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        reader.Depth--;
        if (id is null || stream is null || from is null || data.ValueKind == JsonValueKind.Undefined)
        {
            throw new FormatException("A bus message lacks its id, stream, sender or data.");
        }

        return new Message
        {
            Id = id,
            Stream = stream,
            Epoch = epoch ?? "",
            Offset = offset,
            From = from,
            User = user,
            Event = @event ?? Message.DefaultEvent,
            Data = data,
            SentAt = sentAt,
        };
    }

    private static ReadOnlySpan<byte> Contiguous(ReadOnlySequence<byte>? bytes) =>
        bytes is not { } sequence ? throw new FormatException("A bus message's data is nil.")
        : sequence.IsSingleSegment ? sequence.FirstSpan
        : sequence.ToArray();
}
