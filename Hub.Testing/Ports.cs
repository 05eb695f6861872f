using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Hub.Testing;

internal static class Ports
{
    // The lowest port handed out: above the ports of services a developer's machine may run.
    private const int Floor = 20000;

    // Every port this process handed out: a server killed and started again on its port, or a
    // cluster server's bus port kept for its restart, is not free for anyone else meanwhile.
    private static readonly ConcurrentDictionary<int, bool> Given = new();

    /// <summary>
    /// A port that was free a moment ago on 127.0.0.1 (the nodes and servers started here only ever
    /// listen there), below the kernel's range for outgoing connections where there is room: a
    /// port from that range (what binding port 0 gives) may be taken as the local end of any
    /// connection opened before the server starts listening on it, and the tests open many.
    /// </summary>
    public static int Free()
    {
        var below = EphemeralRangeStart();
        for (var attempt = 0; below - Floor >= 1000 && attempt < 100; attempt++)
        {
            var port = Random.Shared.Next(Floor, below);
            if (Given.TryAdd(port, true) && IsFree(port))
            {
                return port;
            }
        }

        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var given = ((IPEndPoint)listener.LocalEndpoint).Port;
        Given.TryAdd(given, true);
        return given;
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    // Linux says where its ephemeral ports start; elsewhere, IANA's 49152.
    private static int EphemeralRangeStart()
    {
        const string range = "/proc/sys/net/ipv4/ip_local_port_range";
        return File.Exists(range) && int.TryParse(File.ReadAllText(range).Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries)[0], out var start)
            ? start
            : 49152;
    }
}
