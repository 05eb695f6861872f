namespace Hub.Server.WebSockets;

/// <summary>How the node serves WebSockets to the hub: <c>Hub:WebSockets</c>.</summary>
internal sealed class WebSocketsOptions
{
    public const string Section = "Hub:WebSockets";

    /// <summary>
    /// Serve them straight from the socket, before HTTP (the default: it refuses everything
    /// Kestrel and ASP.NET Core refuse, and costs less); false leaves every WebSocket to ASP.NET
    /// Core's WebSocket transport for SignalR.
    /// </summary>
    public bool Direct { get; set; } = true;
}
