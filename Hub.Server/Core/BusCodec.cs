using System.Buffers.Text;
using MessagePack;
using MessagePack.Resolvers;

namespace Hub.Server.Core;

/// <summary>
/// Encodes envelopes for the bus and for history. The body is encoded once by the sending
/// node; Redis prefixes it with "{offset}:{epoch}:" inside the publish script, because only
/// the script knows the offset it assigned.
/// </summary>
internal static class BusCodec
{
    private static readonly MessagePackSerializerOptions Options = MessagePackSerializerOptions.Standard.WithResolver(
        CompositeResolver.Create([BusMessageFormatter.Instance], [StandardResolverAllowPrivate.Instance]));

    public static byte[] Encode(Envelope envelope) => MessagePackSerializer.Serialize(envelope, Options);

    /// <exception cref="FormatException">The body is MessagePack, but not a whole envelope of its kind.</exception>
    public static Envelope Decode(ReadOnlyMemory<byte> body)
    {
        // MessagePack fills in what a body leaves out with defaults, so a cut or garbled body can
        // read as an envelope; it must carry what its kind needs before a node acts on it.
        var envelope = MessagePackSerializer.Deserialize<Envelope>(body, Options);
        return IsWhole(envelope) ? envelope : throw new FormatException($"A bus body read as an incomplete {envelope.Kind} envelope.");
    }

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

    private static bool IsWhole(Envelope envelope) =>
        Enum.IsDefined(envelope.Target.Kind) && (envelope.Target.Kind == TargetKind.All) == (envelope.Target.Id is null) &&
        envelope.Kind switch
        {
            EnvelopeKind.Message => envelope.Message is not null,
            EnvelopeKind.MemberJoined or EnvelopeKind.MemberLeft => envelope.Event is not null,
            EnvelopeKind.AddToGroup or EnvelopeKind.RemoveFromGroup => envelope.Target.Kind == TargetKind.Connection && envelope.Group is not null,
            EnvelopeKind.Disconnect => envelope.Target.Kind == TargetKind.Connection,
            _ => false,
        };

    public static Envelope WithPosition(Envelope envelope, string epoch, long offset) =>
        envelope.Message is null || offset == 0
            ? envelope
            : envelope with { Message = envelope.Message with { Epoch = epoch, Offset = offset } };
}
