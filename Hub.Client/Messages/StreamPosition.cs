using MessagePack;

namespace Hub.Client;

/// <summary>A position in a stream: the last message seen (or used).</summary>
[MessagePackObject]
public sealed record StreamPosition
{
    /// <summary>The stream name.</summary>
    [Key("stream")] public required string Stream { get; init; }

    /// <summary>The stream's history generation.</summary>
    [Key("epoch")] public string Epoch { get; init; } = "";

    /// <summary>The offset of the last message.</summary>
    [Key("offset")] public long Offset { get; init; }
}
