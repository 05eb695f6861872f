namespace Hub.Server.Tcp;

/// <summary>The raw TCP endpoint for clients without HTTP: <c>Hub:Tcp</c>.</summary>
internal sealed class TcpOptions
{
    public const string Section = "Hub:Tcp";

    /// <summary>The port to listen on (all interfaces); 0 = no TCP endpoint.</summary>
    public int Port { get; set; }
}
