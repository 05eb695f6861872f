namespace Hub.Tests.WebSockets;

/// <summary>
/// A sequence of client frames and the verdict RFC 6455 asks of a server that reads them, as
/// <see cref="RawWebSocket.VerdictAsync"/> writes it (<c>open</c>, <c>close 1002</c>, with the
/// pongs to the case's own pings before it).
/// </summary>
public sealed record ConformanceCase(string Id, string Title, string Expected, IReadOnlyList<ConformanceStep> Steps)
{
    public override string ToString() => $"{Id} {Title}";
}

/// <summary>Bytes the client writes, in writes of <paramref name="Chunk"/> bytes (0: at once), after <paramref name="PauseMs"/>.</summary>
public sealed record ConformanceStep(byte[] Bytes, int Chunk = 0, int PauseMs = 0);
