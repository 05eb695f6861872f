using MessagePack;

namespace Hub.Client;

/// <summary>What a send returns once the message was accepted: it is then delivered or recoverable.</summary>
[MessagePackObject]
public sealed record SendResult
{
    /// <summary>The message id.</summary>
    [Key("id")] public required string Id { get; init; }

    /// <summary>The stream the message went to.</summary>
    [Key("stream")] public required string Stream { get; init; }

    /// <summary>The message's offset in that stream (0 when history is disabled).</summary>
    [Key("offset")] public long Offset { get; init; }
}
