namespace Hub.Server.WebSockets;

/// <summary>A client broke RFC 6455; the message is the close reason it is sent (status 1002).</summary>
internal sealed class WebSocketFrameException(string message) : Exception(message);
