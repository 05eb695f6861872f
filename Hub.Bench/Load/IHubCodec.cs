namespace Hub.Bench.Load;

/// <summary>
/// One SignalR hub protocol as <see cref="HubSocket"/> speaks it: the handshake that names it,
/// how frames are delimited and read, and how an invocation is written. The handshake itself
/// and its reply are JSON records ending in 0x1E in every protocol.
/// </summary>
internal interface IHubCodec
{
    /// <summary>What the handshake and <c>--protocol</c> call it: <c>json</c>, <c>messagepack</c>.</summary>
    string Name { get; }

    /// <summary>Whether frames are binary (sent as binary WebSocket messages).</summary>
    bool IsBinary { get; }

    /// <summary>The handshake request, with its record separator.</summary>
    ReadOnlyMemory<byte> Handshake { get; }

    /// <summary>One ping message, framed.</summary>
    ReadOnlyMemory<byte> Ping { get; }

    /// <summary>The protocols <c>--protocol</c> offers, by name.</summary>
    static IReadOnlyDictionary<string, IHubCodec> ByName { get; } = new Dictionary<string, IHubCodec>(StringComparer.Ordinal)
    {
        [JsonHubCodec.Instance.Name] = JsonHubCodec.Instance,
        [MessagePackHubCodec.Instance.Name] = MessagePackHubCodec.Instance,
    };

    /// <summary>
    /// Reads the frame at the start of <paramref name="buffer"/>: the bytes it takes, with
    /// <paramref name="frame"/> pointing into <paramref name="buffer"/>; 0 when it has not all arrived yet.
    /// </summary>
    int TryReadFrame(ReadOnlyMemory<byte> buffer, out HubFrame frame);

    /// <summary>A framed invocation of <paramref name="target"/> that expects a completion; the bench's names and texts need no escaping.</summary>
    byte[] EncodeInvocation(long invocationId, string target, params ReadOnlySpan<string> arguments);

    /// <summary>A framed <c>Resume</c> of one stream from the position the caller saw last.</summary>
    /// <exception cref="NotSupportedException">The bench resumes in JSON only (the failover scenario).</exception>
    byte[] EncodeResume(long invocationId, string stream, string epoch, long offset) =>
        throw new NotSupportedException($"The bench resumes streams over SignalR json only, not {Name}.");
}
