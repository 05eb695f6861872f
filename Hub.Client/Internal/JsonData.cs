using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;
using MessagePack;

namespace Hub.Client.Internal;

/// <summary>
/// A message's data: one JSON value, held as a <see cref="JsonElement"/> by every node and client,
/// whichever protocol it came in (MessagePack clients' values are converted by
/// <see cref="JsonDataFormatter"/>). Here are the rules it must pass wherever it enters, and its size.
/// </summary>
internal static class JsonData
{
    /// <summary>
    /// Objects and arrays nested deeper are refused: a sane bound on the work of reading a message,
    /// well inside the 64 levels SignalR's JSON reader allows a whole frame.
    /// </summary>
    public const int MaxDepth = 32;

    /// <summary>Only what JSON requires is escaped, so the size of a text is as JSON.stringify counts it.</summary>
    public static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = true,
    };

    /// <summary>The data of a text message: the text as a JSON string.</summary>
    /// <exception cref="ArgumentException">The text is not valid UTF-16 (a lone surrogate).</exception>
    public static JsonElement FromText(string text)
    {
        var buffer = new ArrayBufferWriter<byte>(text.Length + 2);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStringValue(text);
        }

        return JsonElement.Parse(buffer.WrittenSpan);
    }

    /// <summary>The data of a text message, from the text's UTF-8 (which must be valid: the bus's own).</summary>
    public static JsonElement FromText(ReadOnlySpan<byte> utf8)
    {
        var buffer = new ArrayBufferWriter<byte>(utf8.Length + 2);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStringValue(utf8);
        }

        return JsonElement.Parse(buffer.WrittenSpan);
    }

    /// <summary>Writes a string value as a MessagePack string: straight from its JSON bytes when it has no escapes.</summary>
    public static void WriteString(ref MessagePackWriter writer, JsonElement value)
    {
        var raw = JsonMarshal.GetRawUtf8Value(value)[1..^1];
        if (raw.Contains((byte)'\\'))
        {
            writer.Write(value.GetString());
        }
        else
        {
            writer.WriteString(raw);
        }
    }

    /// <summary>
    /// Checks <paramref name="data"/> against the rules (a value, not null; depth, numbers, Unicode)
    /// and measures it: the UTF-8 length of its JSON as JSON.stringify writes it, with no spaces and
    /// only quotes, backslashes and control characters escaped, whatever spacing or escaping it
    /// arrived with.
    /// </summary>
    /// <returns>What is wrong with it, or null when nothing is.</returns>
    public static string? Check(JsonElement data, out long size)
    {
        size = 0;
        switch (data.ValueKind)
        {
            case JsonValueKind.Undefined:
                return "The data is missing: give a JSON value (an object, array, string, number or boolean).";
            case JsonValueKind.Null:
                return "The data is null: give an object, array, string, number or boolean.";
        }

        try
        {
            return Measure(data, 0, ref size);
        }
        catch (InvalidOperationException)
        {
            // Unescaping a string met a lone surrogate (\ud800 with no low half).
            return DataFormatException.NotUnicode().Message;
        }
    }

    private static string? Measure(JsonElement value, int depth, ref long size)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                if (depth == MaxDepth)
                {
                    return DataFormatException.TooDeep().Message;
                }

                size += 2;
                var members = 0;
                foreach (var property in value.EnumerateObject())
                {
                    size += members++ > 0 ? 2 : 1; // the comma before it, and its colon
                    var name = JsonMarshal.GetRawUtf8PropertyName(property);
                    var problem = (name.Contains((byte)'\\') ? MeasureText(property.Name, ref size) : MeasureRaw(name, ref size))
                        ?? Measure(property.Value, depth + 1, ref size);
                    if (problem is not null)
                    {
                        return problem;
                    }
                }

                return null;

            case JsonValueKind.Array:
                if (depth == MaxDepth)
                {
                    return DataFormatException.TooDeep().Message;
                }

                size += 2;
                var items = 0;
                foreach (var item in value.EnumerateArray())
                {
                    size += items++ > 0 ? 1 : 0;
                    if (Measure(item, depth + 1, ref size) is { } problem)
                    {
                        return problem;
                    }
                }

                return null;

            case JsonValueKind.String:
                var raw = JsonMarshal.GetRawUtf8Value(value)[1..^1];
                return raw.Contains((byte)'\\') ? MeasureText(value.GetString()!, ref size) : MeasureRaw(raw, ref size);

            case JsonValueKind.Number:
                var number = JsonMarshal.GetRawUtf8Value(value);
                size += number.Length;
                return JsonNumbers.Classify(number, out _, out _, out _) == NumberForm.NotCarried ? JsonNumbers.Refusal(number) : null;

            case JsonValueKind.True or JsonValueKind.Null:
                size += 4;
                return null;

            case JsonValueKind.False:
                size += 5;
                return null;

            default:
                return "The data holds no value.";
        }
    }

    // A string as it arrived, with no escapes: its bytes are its text, if they are UTF-8 at all
    // (the JSON reader leaves that to whoever reads the string).
    private static string? MeasureRaw(ReadOnlySpan<byte> utf8, ref long size)
    {
        size += utf8.Length + 2;
        return Utf8.IsValid(utf8) ? null : DataFormatException.NotUnicode().Message;
    }

    private static string? MeasureText(string text, ref long size)
    {
        size += 2;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsSurrogate(c))
            {
                if (!char.IsHighSurrogate(c) || i + 1 == text.Length || !char.IsLowSurrogate(text[i + 1]))
                {
                    return DataFormatException.NotUnicode().Message;
                }

                size += 4;
                i++;
                continue;
            }

            size += c switch
            {
                '"' or '\\' or '\b' or '\f' or '\n' or '\r' or '\t' => 2,
                < ' ' => 6,
                < '\u0080' => 1,
                < '\u0800' => 2,
                _ => 3,
            };
        }

        return null;
    }
}
