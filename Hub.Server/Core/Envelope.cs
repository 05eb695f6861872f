using Hub.Client;
using MessagePack;

namespace Hub.Server.Core;

/// <summary>What travels between nodes: a message, a presence event or a command for one connection, and who it is for.</summary>
[MessagePackObject]
internal sealed record Envelope
{
    [Key(0)] public required EnvelopeKind Kind { get; init; }

    [Key(1)] public required Target Target { get; init; }

    /// <summary>A connection that must not receive it (the joiner of its own <c>MemberJoined</c>).</summary>
    [Key(2)] public string? ExceptConnectionId { get; init; }

    [Key(3)] public Message? Message { get; init; }

    [Key(4)] public PresenceEvent? Event { get; init; }

    /// <summary>The group of an <see cref="EnvelopeKind.AddToGroup"/> or <see cref="EnvelopeKind.RemoveFromGroup"/> command.</summary>
    [Key(5)] public string? Group { get; init; }

    /// <summary>
    /// The node holding the connection of a group command: on a Redis Cluster the command is sent
    /// to that node alone, through its group's slot (RedisBroker), where a RemoveFromGroup no longer
    /// finds the member to read the node from.
    /// </summary>
    [Key(6)] public string? Node { get; init; }

    public static Envelope ForMessage(Message message, Target target) =>
        new() { Kind = EnvelopeKind.Message, Target = target, Message = message };

    /// <summary><c>MemberJoined</c> or <c>MemberLeft</c> for the members of <paramref name="group"/>, the connection itself excepted.</summary>
    public static Envelope ForPresenceEvent(EnvelopeKind kind, string group, string connectionId, string? user) => new()
    {
        Kind = kind,
        Target = Target.Group(group),
        ExceptConnectionId = connectionId,
        Event = new PresenceEvent { Group = group, ConnectionId = connectionId, User = user },
    };

    /// <summary>
    /// A command that only the node holding the connection carries out. It travels on the bus so
    /// that it keeps its place in the one order: whatever is published after it meets its effect.
    /// </summary>
    public static Envelope ForConnectionCommand(EnvelopeKind kind, string connectionId, string? group = null, string? node = null) =>
        new() { Kind = kind, Target = Target.Connection(connectionId), Group = group, Node = node };
}

internal enum EnvelopeKind : byte
{
    Message = 0,
    MemberJoined = 1,
    MemberLeft = 2,
    AddToGroup = 3,
    RemoveFromGroup = 4,
    Disconnect = 5,
}
