using System.Net;
using System.Net.Sockets;
using Hub.Tests.Infrastructure;

namespace Hub.Tests.Redis;

/// <summary>
/// The ports the tests start redis-servers and nodes on. A port from the kernel's range for
/// outgoing connections may be taken as the local end of a connection between the moment it was
/// found free and the moment a server listens on it; a suite that opens thousands of connections
/// met that (a cluster server's bus port), so the ports come from below that range.
/// </summary>
public sealed class TestPortsTests
{
    private const string EphemeralRange = "/proc/sys/net/ipv4/ip_local_port_range";

    [Test]
    public void AFreePort_IsBelowTheRangeOfOutgoingConnections_AndNeverGivenTwice()
    {
        var start = int.Parse(File.ReadAllText(EphemeralRange).Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries)[0]);
        var ports = Enumerable.Range(0, 200).Select(_ => Ports.Free()).ToList();

        Assert.Multiple(() =>
        {
            Assert.That(ports, Has.All.LessThan(start), $"the kernel's outgoing connections start at {start}");
            Assert.That(ports, Is.Unique);
        });
    }

    [Test]
    public void ARedisServerGivenATakenPort_SaysItWasTaken()
    {
        using var holder = new TcpListener(IPAddress.Loopback, Ports.Free());
        holder.Start();
        var port = ((IPEndPoint)holder.LocalEndpoint).Port;

        var refused = Assert.ThrowsAsync<PortTakenException>(() => RedisProcess.StartAsync(port).Within(TimeSpan.FromSeconds(30)));
        Assert.That(refused!.Message, Does.Contain($"port {port}").And.Contain("Address already in use"));
    }
}
