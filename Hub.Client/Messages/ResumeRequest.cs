using MessagePack;

namespace Hub.Client;

/// <summary>The last position the caller saw on each stream it wants to resume.</summary>
[MessagePackObject]
public sealed record ResumeRequest
{
    /// <summary>One entry per stream.</summary>
    [Key("streams")] public IReadOnlyList<StreamPosition> Streams { get; init; } = [];
}
