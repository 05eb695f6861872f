namespace Hub.Server.Tcp;

/// <summary>A TCP connection refused before its handshake; the message is what the client is told.</summary>
internal sealed class TcpRefusedException(string message) : Exception(message);
