using System.Text.Json;
using MessagePack;

namespace Hub.Client;

/// <summary>A message to publish: an event and its data, to one stream.</summary>
[MessagePackObject]
public sealed record PublishRequest
{
    /// <summary>The stream: <c>all</c>, <c>group:{name}</c>, <c>user:{id}</c> or <c>connection:{id}</c>.</summary>
    [Key("to")] public string To { get; init; } = "";

    /// <summary>The event name: 1 to 128 characters, no control characters; <see cref="Message.DefaultEvent"/> when not given.</summary>
    [Key("event")] public string Event { get; init; } = Message.DefaultEvent;

    /// <summary>The data: any JSON value but null, at most <c>Hub:Limits:MaxMessageBytes</c> as UTF-8 JSON.</summary>
    [Key("data")] public JsonElement Data { get; init; }

    /// <summary>Equal when every member is, the data compared as JSON values (as <see cref="JsonElement.DeepEquals"/> does).</summary>
    public bool Equals(PublishRequest? other) =>
        other is not null && To == other.To && Event == other.Event &&
        (Data.ValueKind == JsonValueKind.Undefined ? other.Data.ValueKind == JsonValueKind.Undefined : JsonElement.DeepEquals(Data, other.Data));

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(To, Event);
}
