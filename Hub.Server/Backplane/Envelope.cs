using Hub.Client;
using MessagePack;

namespace Hub.Server.Backplane;

/// <summary>What travels between nodes: a message or a presence event, and who it is for.</summary>
[MessagePackObject]
internal sealed record Envelope
{
    [Key(0)] public required EnvelopeKind Kind { get; init; }

    [Key(1)] public required Target Target { get; init; }

    /// <summary>A connection that must not receive it (the joiner of its own <c>MemberJoined</c>).</summary>
    [Key(2)] public string? ExceptConnectionId { get; init; }

    [Key(3)] public Message? Message { get; init; }

    [Key(4)] public PresenceEvent? Event { get; init; }

    public static Envelope ForMessage(Message message, Target target) =>
        new() { Kind = EnvelopeKind.Message, Target = target, Message = message };
}

internal enum EnvelopeKind : byte
{
    Message = 0,
    MemberJoined = 1,
    MemberLeft = 2,
}
