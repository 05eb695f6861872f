using System.Text.Json;
using MessagePack;

namespace Hub.Client;

/// <summary>A message as every recipient receives it.</summary>
[MessagePackObject]
public sealed record Message
{
    /// <summary>The event of a message sent without one, and of every message sent as text.</summary>
    public const string DefaultEvent = "message";

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

    /// <summary>The event name the sender gave (<c>message</c> unless it gave one).</summary>
    [Key("event")] public string Event { get; init; } = DefaultEvent;

    /// <summary>The data: any JSON value (object, array, string, number or boolean), exactly as it was published.</summary>
    [Key("data")] public required JsonElement Data { get; init; }

    /// <summary>The data when it is a string (as every message sent as text has), otherwise null.</summary>
    [Key("text")] public string? Text => Data.ValueKind == JsonValueKind.String ? Data.GetString() : null;

    /// <summary>When the accepting node took the message (UTC).</summary>
    [Key("sentAt")] public DateTime SentAt { get; init; }

    /// <summary>Reads <see cref="Data"/> as a <typeparamref name="T"/>, with the web defaults of System.Text.Json (camelCase, case-insensitive) unless given other options.</summary>
    /// <exception cref="JsonException">The data is not a <typeparamref name="T"/>.</exception>
    public T? GetData<T>(JsonSerializerOptions? options = null) => Data.Deserialize<T>(options ?? JsonSerializerOptions.Web);

    /// <summary>Equal when every member is, the data compared as JSON values (as <see cref="JsonElement.DeepEquals"/> does).</summary>
    public bool Equals(Message? other) =>
        other is not null && Id == other.Id && Stream == other.Stream && Epoch == other.Epoch && Offset == other.Offset &&
        From == other.From && User == other.User && Event == other.Event && SentAt == other.SentAt &&
        JsonElement.DeepEquals(Data, other.Data);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Id, Stream, Offset);
}
