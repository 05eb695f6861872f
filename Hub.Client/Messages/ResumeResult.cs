using MessagePack;

namespace Hub.Client;

/// <summary>The outcome of <see cref="IHubServer.Resume"/>, one entry per stream.</summary>
[MessagePackObject]
public sealed record ResumeResult
{
    /// <summary>One entry per stream resumed (or, for an empty request, per implicit stream).</summary>
    [Key("streams")] public IReadOnlyList<StreamResumeResult> Streams { get; init; } = [];
}

/// <summary>How one stream was resumed.</summary>
[MessagePackObject]
public sealed record StreamResumeResult
{
    /// <summary>The stream name.</summary>
    [Key("stream")] public required string Stream { get; init; }

    /// <summary>The stream's history generation after the resume.</summary>
    [Key("epoch")] public string Epoch { get; init; } = "";

    /// <summary>The stream's position after the replay.</summary>
    [Key("offset")] public long Offset { get; init; }

    /// <summary>False when history no longer reached back that far or the epoch changed: messages were lost.</summary>
    [Key("recovered")] public bool Recovered { get; init; }

    /// <summary>How many missed messages were replayed.</summary>
    [Key("missed")] public int Missed { get; init; }
}
