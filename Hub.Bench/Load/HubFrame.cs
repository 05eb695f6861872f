namespace Hub.Bench.Load;

/// <summary>
/// Just enough of one SignalR hub message, in either protocol, to count and time it: its type,
/// whether an invocation is the client's <c>Receive</c>, the id and error of a completion, and
/// the <c>text</c> of a message received.
/// </summary>
internal readonly ref struct HubFrame(
    int type, bool isReceive = false, long invocationId = -1, string? error = null, ReadOnlySpan<byte> text = default, StreamPoint point = default)
{
    public const int Invocation = 1;
    public const int Completion = 3;
    public const int Ping = 6;
    public const int Close = 7;

    public int Type { get; } = type;

    /// <summary>An invocation of the client's <c>Receive</c>: a message.</summary>
    public bool IsReceive { get; } = isReceive;

    public long InvocationId { get; } = invocationId;

    public string? Error { get; } = error;

    /// <summary>The message's text as raw UTF-8 string bytes: the bench's texts need no escaping.</summary>
    public ReadOnlySpan<byte> Text { get; } = text;

    /// <summary>A message's stream position, or the one a <c>Join</c> or <c>Resume</c> answered with (JSON only).</summary>
    public StreamPoint Point { get; } = point;
}
