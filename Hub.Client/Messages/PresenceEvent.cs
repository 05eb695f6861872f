using MessagePack;

namespace Hub.Client;

/// <summary>Someone joined or left a group.</summary>
[MessagePackObject]
public sealed record PresenceEvent
{
    /// <summary>The group.</summary>
    [Key("group")] public required string Group { get; init; }

    /// <summary>The connection that joined or left.</summary>
    [Key("connectionId")] public required string ConnectionId { get; init; }

    /// <summary>Its user id, when it has one.</summary>
    [Key("user")] public string? User { get; init; }
}
