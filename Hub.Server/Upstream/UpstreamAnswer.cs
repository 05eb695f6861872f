namespace Hub.Server.Upstream;

/// <summary>What became of one request to the backend.</summary>
internal enum UpstreamOutcome
{
    /// <summary>A 2xx: the event is allowed; its body, if any, says more.</summary>
    Allowed,

    /// <summary>A 4xx: the event is refused, for <see cref="UpstreamAnswer.Reason"/>.</summary>
    Refused,

    /// <summary>No answer in time, no connection, a 5xx, or the circuit open: "upstream unavailable", unless it fails open.</summary>
    Unavailable,

    /// <summary>An answer that cannot be followed (another status, or a body not of the event's shape): refused, never failed open.</summary>
    Invalid,
}

/// <summary>The backend's answer to one event: the outcome, and the body of a 2xx or the reason of a refusal.</summary>
internal readonly record struct UpstreamAnswer(UpstreamOutcome Outcome, ReadOnlyMemory<byte> Body = default, string? Reason = null)
{
    public const string UnavailableReason = "upstream unavailable";
    public const string InvalidReason = "upstream answered in a way Hub cannot follow";
}
