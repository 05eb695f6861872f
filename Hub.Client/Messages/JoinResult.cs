using MessagePack;

namespace Hub.Client;

/// <summary>The position of a group's stream when the caller joined: the next message has <see cref="Offset"/> + 1.</summary>
[MessagePackObject]
public sealed record JoinResult
{
    /// <summary>The group joined.</summary>
    [Key("group")] public required string Group { get; init; }

    /// <summary>The group stream's history generation.</summary>
    [Key("epoch")] public string Epoch { get; init; } = "";

    /// <summary>The last offset used on the group stream (0 if none).</summary>
    [Key("offset")] public long Offset { get; init; }
}
