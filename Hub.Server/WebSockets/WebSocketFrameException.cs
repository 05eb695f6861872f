namespace Hub.Server.WebSockets;

/// <summary>
/// A client broke RFC 6455: the connection is failed with a close frame of <see cref="Status"/>
/// (1002, or 1007 for a text message that is not UTF-8), the message as its reason.
/// </summary>
internal sealed class WebSocketFrameException(string message, ushort status = WebSocketFrames.ProtocolError) : Exception(message)
{
    public ushort Status { get; } = status;
}
