namespace Hub.Server.WebSockets;

/// <summary>How the node serves WebSockets to the hub: <c>Hub:WebSockets</c>.</summary>
internal sealed class WebSocketsOptions
{
    public const string Section = "Hub:WebSockets";

    /// <summary>
    /// Serve them straight from the socket, before HTTP; false (the default) leaves every
    /// WebSocket to ASP.NET Core's WebSocket transport for SignalR. Off until the direct path
    /// refuses everything Kestrel and ASP.NET Core refuse.
    /// </summary>
    public bool Direct { get; set; }
}
