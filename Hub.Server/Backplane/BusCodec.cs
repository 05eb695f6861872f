using System.Buffers.Text;
using MessagePack;
using MessagePack.Resolvers;

namespace Hub.Server.Backplane;

/// <summary>
/// Encodes envelopes for the bus and for history. The body is encoded once by the sending
/// node; Redis prefixes it with "{offset}:{epoch}:" inside the publish script, because only
/// the script knows the offset it assigned.
/// </summary>
internal static class BusCodec
{
    private static readonly MessagePackSerializerOptions Options =
        MessagePackSerializerOptions.Standard.WithResolver(StandardResolverAllowPrivate.Instance);

    public static byte[] Encode(Envelope envelope) => MessagePackSerializer.Serialize(envelope, Options);

    public static Envelope Decode(ReadOnlyMemory<byte> body) => MessagePackSerializer.Deserialize<Envelope>(body, Options);

    /// <summary>Reads a published payload: "{offset}:{epoch}:{body}".</summary>
    public static Envelope DecodePublished(ReadOnlyMemory<byte> payload)
    {
        var span = payload.Span;
        var first = span.IndexOf((byte)':');
        var second = first < 0 ? -1 : span[(first + 1)..].IndexOf((byte)':');
        if (first < 0 || second < 0 || !Utf8Parser.TryParse(span[..first], out long offset, out _))
        {
            throw new FormatException("A bus payload did not start with '{offset}:{epoch}:'.");
        }

        var epoch = System.Text.Encoding.ASCII.GetString(span.Slice(first + 1, second));
        var envelope = Decode(payload[(first + second + 2)..]);
        return WithPosition(envelope, epoch, offset);
    }

    public static Envelope WithPosition(Envelope envelope, string epoch, long offset) =>
        envelope.Message is null || offset == 0
            ? envelope
            : envelope with { Message = envelope.Message with { Epoch = epoch, Offset = offset } };
}
