using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Unicode;
using MessagePack;
using MessagePack.Formatters;

namespace Hub.Client.Internal;

/// <summary>
/// A message's data over SignalR's MessagePack protocol: the JSON value as the same value in
/// MessagePack (objects as maps, arrays, strings, 64-bit integers, doubles, booleans, nil), so a
/// MessagePack client reads it as its own values; and back into JSON on arrival. What one of the
/// two cannot hold (binary, extensions, NaN, non-string keys; numbers <see cref="JsonNumbers"/>
/// refuses) fails the conversion with a <see cref="DataFormatException"/> that says so.
/// </summary>
internal sealed class JsonDataFormatter : IMessagePackFormatter<JsonElement>
{
    public static readonly JsonDataFormatter Instance = new();

    // A converted value is written here and then parsed into its own document; the buffer stays
    // with the thread for the next one, unless one large value made it larger than is worth keeping.
    private const int RetainedBytes = 256 * 1024;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    /// <summary>SignalR's MessagePack options, with message data carried by this formatter.</summary>
    public static MessagePackSerializerOptions Carrying(MessagePackSerializerOptions options) =>
        options.WithResolver(MessagePack.Resolvers.CompositeResolver.Create([Instance], [options.Resolver]));

    public void Serialize(ref MessagePackWriter writer, JsonElement value, MessagePackSerializerOptions options) =>
        Write(ref writer, value, 0);

    public JsonElement Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(256);
        var json = t_writer ??= new Utf8JsonWriter(buffer, JsonData.WriterOptions);
        try
        {
            Read(ref reader, json, 0);
            json.Flush();
            return JsonElement.Parse(buffer.WrittenSpan);
        }
        finally
        {
            json.Reset();
            buffer.ResetWrittenCount();
            if (buffer.Capacity > RetainedBytes)
            {
                t_buffer = null;
                t_writer = null;
            }
        }
    }

    private static void Write(ref MessagePackWriter writer, JsonElement value, int depth)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                Enter(depth);
                writer.WriteMapHeader(value.GetPropertyCount());
                foreach (var property in value.EnumerateObject())
                {
                    var name = JsonMarshal.GetRawUtf8PropertyName(property);
                    if (name.Contains((byte)'\\'))
                    {
                        writer.Write(property.Name);
                    }
                    else
                    {
                        writer.WriteString(name);
                    }

                    Write(ref writer, property.Value, depth + 1);
                }

                break;

            case JsonValueKind.Array:
                Enter(depth);
                writer.WriteArrayHeader(value.GetArrayLength());
                foreach (var item in value.EnumerateArray())
                {
                    Write(ref writer, item, depth + 1);
                }

                break;

            case JsonValueKind.String:
                JsonData.WriteString(ref writer, value);
                break;

            case JsonValueKind.Number:
                WriteNumber(ref writer, JsonMarshal.GetRawUtf8Value(value));
                break;

            case JsonValueKind.True:
                writer.Write(true);
                break;

            case JsonValueKind.False:
                writer.Write(false);
                break;

            case JsonValueKind.Null:
                writer.WriteNil();
                break;

            default:
                throw new DataFormatException("The data is missing: give a JSON value.");
        }
    }

    private static void WriteNumber(ref MessagePackWriter writer, ReadOnlySpan<byte> text)
    {
        switch (JsonNumbers.Classify(text, out var signed, out var unsigned, out var value))
        {
            case NumberForm.Signed:
                writer.Write(signed);
                break;
            case NumberForm.Unsigned:
                writer.Write(unsigned);
                break;
            case NumberForm.Float:
                writer.Write(value);
                break;
            default:
                throw new DataFormatException(JsonNumbers.Refusal(text));
        }
    }

    private static void Read(ref MessagePackReader reader, Utf8JsonWriter json, int depth)
    {
        switch (reader.NextMessagePackType)
        {
            case MessagePackType.Nil:
                reader.ReadNil();
                json.WriteNullValue();
                break;

            case MessagePackType.Boolean:
                json.WriteBooleanValue(reader.ReadBoolean());
                break;

            case MessagePackType.Integer:
                if (reader.NextCode == MessagePackCode.UInt64)
                {
                    json.WriteNumberValue(reader.ReadUInt64());
                }
                else
                {
                    json.WriteNumberValue(reader.ReadInt64());
                }

                break;

            case MessagePackType.Float:
                // A float32 widens to the double of exactly its value.
                var number = reader.NextCode == MessagePackCode.Float32 ? reader.ReadSingle() : reader.ReadDouble();
                if (!double.IsFinite(number))
                {
                    throw new DataFormatException("The data holds NaN or an infinity, which JSON cannot carry: send it as a string or null.");
                }

                json.WriteNumberValue(number);
                break;

            case MessagePackType.String:
                json.WriteStringValue(ReadUtf8(ref reader, out var rented));
                Return(rented);
                break;

            case MessagePackType.Array:
                Enter(depth);
                var items = reader.ReadArrayHeader();
                json.WriteStartArray();
                for (var i = 0; i < items; i++)
                {
                    Read(ref reader, json, depth + 1);
                }

                json.WriteEndArray();
                break;

            case MessagePackType.Map:
                Enter(depth);
                var members = reader.ReadMapHeader();
                json.WriteStartObject();
                for (var i = 0; i < members; i++)
                {
                    if (reader.NextMessagePackType != MessagePackType.String)
                    {
                        throw new DataFormatException(
                            $"The data holds a map with a {reader.NextMessagePackType} key; JSON objects have string keys only.");
                    }

                    json.WritePropertyName(ReadUtf8(ref reader, out rented));
                    Return(rented);
                    Read(ref reader, json, depth + 1);
                }

                json.WriteEndObject();
                break;

            case MessagePackType.Binary:
                throw new DataFormatException("The data holds MessagePack binary, which JSON cannot carry: send it as a base64 string.");

            case MessagePackType.Extension:
                throw new DataFormatException(
                    "The data holds a MessagePack extension (a timestamp, say), which JSON cannot carry: send it as a string or a number.");

            default:
                throw new DataFormatException($"The data holds a MessagePack value of an unknown kind (0x{reader.NextCode:x2}).");
        }
    }

    // MessagePack strings are UTF-8 by definition, but nothing checks it on the way: a string that is
    // not would reach every JSON client as replacement characters, so it is refused here.
    private static ReadOnlySpan<byte> ReadUtf8(ref MessagePackReader reader, out byte[]? rented)
    {
        rented = null;
        var sequence = reader.ReadStringSequence() ?? default;
        ReadOnlySpan<byte> utf8;
        if (sequence.IsSingleSegment)
        {
            utf8 = sequence.FirstSpan;
        }
        else
        {
            rented = ArrayPool<byte>.Shared.Rent((int)sequence.Length);
            sequence.CopyTo(rented);
            utf8 = rented.AsSpan(0, (int)sequence.Length);
        }

        if (!Utf8.IsValid(utf8))
        {
            Return(rented);
            throw DataFormatException.NotUnicode();
        }

        return utf8;
    }

    private static void Return(byte[]? rented)
    {
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static void Enter(int depth)
    {
        if (depth == JsonData.MaxDepth)
        {
            throw DataFormatException.TooDeep();
        }
    }
}
