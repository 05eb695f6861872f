using System.Net;
using System.Net.Sockets;

namespace Hub.Testing;

internal static class Ports
{
    /// <summary>A port that was free a moment ago on 127.0.0.1: the nodes and servers started here only ever listen there.</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
