using System.Net;

namespace Hub.Server.Tcp;

/// <summary>The raw TCP endpoint for clients without HTTP: <c>Hub:Tcp</c>.</summary>
internal sealed class TcpOptions
{
    public const string Section = "Hub:Tcp";

    /// <summary>The port to listen on; 0 = no TCP endpoint.</summary>
    public int Port { get; set; }

    /// <summary>
    /// The IP address to listen on: loopback unless the node is told otherwise, as the port has no
    /// TLS and no HTTP request checks. <c>0.0.0.0</c> is every IPv4 interface, <c>::</c> every
    /// interface (Kestrel's socket transport binds it dual-stack).
    /// </summary>
    public string Address { get; set; } = "127.0.0.1";

    /// <summary>Where to listen; the options are validated before anyone asks.</summary>
    public IPEndPoint EndPoint => new(IPAddress.Parse(Address), Port);
}
