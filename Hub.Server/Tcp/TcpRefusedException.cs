namespace Hub.Server.Tcp;

/// <summary>
/// A TCP connection refused before its handshake; the message is what the client is told, with
/// how long to wait before it tries again when the node's admission refused it (not its request).
/// </summary>
internal sealed class TcpRefusedException(string message, int? retryAfterSeconds = null) : Exception(message)
{
    public int? RetryAfterSeconds { get; } = retryAfterSeconds;
}
