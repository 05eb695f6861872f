using MessagePack;

namespace Hub.Client;

/// <summary>A message as every recipient receives it.</summary>
[MessagePackObject]
public sealed record Message
{
    /// <summary>Unique id given by the node that accepted the message.</summary>
    [Key("id")] public required string Id { get; init; }

    /// <summary>The stream the message belongs to: <c>all</c>, <c>group:{name}</c>, <c>user:{id}</c> or <c>connection:{id}</c>.</summary>
    [Key("stream")] public required string Stream { get; init; }

    /// <summary>The stream's history generation; empty when history is disabled.</summary>
    [Key("epoch")] public string Epoch { get; init; } = "";

    /// <summary>Position in the stream: rises by exactly 1 per message, cluster-wide; 0 when history is disabled.</summary>
    [Key("offset")] public long Offset { get; init; }

    /// <summary>The sender's connection id, or <c>api</c> for the HTTP API.</summary>
    [Key("from")] public required string From { get; init; }

    /// <summary>The sender's user id, when it has one.</summary>
    [Key("user")] public string? User { get; init; }

    /// <summary>The message text.</summary>
    [Key("text")] public required string Text { get; init; }

    /// <summary>When the accepting node took the message (UTC).</summary>
    [Key("sentAt")] public DateTime SentAt { get; init; }
}
