using System.Net;
using System.Net.Sockets;

namespace Hub.Bench.Cluster;

internal static class Ports
{
    /// <summary>A port that was free a moment ago on 127.0.0.1: the bench only ever listens and connects there.</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
