using MessagePack;

namespace Hub.Client;

/// <summary>Who is online, cluster-wide: in a group, or in the whole hub.</summary>
[MessagePackObject]
public sealed record PresenceSnapshot
{
    /// <summary>The group, or null for the whole hub.</summary>
    [Key("group")] public string? Group { get; init; }

    /// <summary>How many connections, in all.</summary>
    [Key("connections")] public long Connections { get; init; }

    /// <summary>How many distinct user ids, in all.</summary>
    [Key("userCount")] public long UserCount { get; init; }

    /// <summary>Distinct user ids, at most 1000 of them; <see cref="UserCount"/> tells the full size.</summary>
    [Key("users")] public IReadOnlyList<string> Users { get; init; } = [];

    /// <summary>Connections per node.</summary>
    [Key("nodes")] public IReadOnlyList<NodePresence> Nodes { get; init; } = [];
}

/// <summary>How many connections one node holds.</summary>
[MessagePackObject]
public sealed record NodePresence
{
    /// <summary>The node id (<c>Hub:NodeId</c>).</summary>
    [Key("id")] public required string Id { get; init; }

    /// <summary>Its connections (in the group, for a group snapshot).</summary>
    [Key("connections")] public long Connections { get; init; }
}
