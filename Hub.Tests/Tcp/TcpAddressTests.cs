using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Hub.Server.Tcp;
using Hub.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Hub.Tests.Tcp;

/// <summary>The TCP endpoint listens where <c>Hub:Tcp:Address</c> says, loopback unless told otherwise.</summary>
public sealed class TcpAddressTests
{
    [TestCase(null, false)]
    [TestCase("127.0.0.1", false)]
    [TestCase("0.0.0.0", true)]
    [TestCase("::", true)]
    public async Task TheTcpEndpoint_ListensOnTheConfiguredAddress_AndNowhereElse(string? address, bool everyInterface)
    {
        if (address == "::" && !Socket.OSSupportsIPv6)
        {
            Assert.Ignore("This machine has no IPv6.");
        }

        var port = Ports.Free();
        var settings = new Dictionary<string, string?> { ["Hub:Tcp:Port"] = port.ToString() };
        if (address is not null)
        {
            settings["Hub:Tcp:Address"] = address;
        }

        await using var node = await TestNode.StartAsync("node-tcp-address", settings);
        var bound = (IPEndPoint?)node.Services.GetRequiredService<TcpEndpoint>().BoundEndPoint;
        using var onLoopback = await RawTcpConnection.ConnectAsync(port);
        var other = OtherAddressOfThisMachine();
        TestContext.Out.WriteLine($"Bound {bound}; another address of this machine: {other?.ToString() ?? "none"}.");

        Assert.Multiple(() =>
        {
            Assert.That(bound?.Address, Is.EqualTo(IPAddress.Parse(address ?? "127.0.0.1")), "bound where configured");
            Assert.That(onLoopback.Greeting, Does.StartWith("{\"connectionId\":"), "reachable on loopback");
        });
        if (other is not null)
        {
            SocketError? refused = null;
            try
            {
                using var elsewhere = await RawTcpConnection.ConnectAsync(port, other.ToString());
            }
            catch (SocketException ex)
            {
                refused = ex.SocketErrorCode;
            }

            Assert.That(refused, everyInterface ? Is.Null : Is.EqualTo(SocketError.ConnectionRefused), $"on {other}, another address of this machine");
        }
    }

    [TestCase("localhost")]
    [TestCase("hub.example.com")]
    [TestCase("127.1")]
    [TestCase("[::1]")]
    [TestCase("")]
    public void AnAddressThatIsNotAnIpAddress_StopsTheNodeAtStart_WithOneLine(string value)
    {
        var settings = new Dictionary<string, string?> { ["Hub:Tcp:Port"] = Ports.Free().ToString(), ["Hub:Tcp:Address"] = value };

        var error = Assert.ThrowsAsync<OptionsValidationException>(() => TestNode.StartAsync("node-x", settings));

        Assert.That(error!.Message, Does.StartWith($"Hub:Tcp:Address ('{value}') must be an IP address").And.Contain("0.0.0.0").And.Not.Contain('\n'));
    }

    [Test]
    public void AnAddressThisMachineDoesNotHave_StopsTheNodeAtStart_NamingTheKeys()
    {
        // TEST-NET-3 (RFC 5737): documentation only, on no machine's interface.
        var port = Ports.Free();
        var settings = new Dictionary<string, string?> { ["Hub:Tcp:Port"] = port.ToString(), ["Hub:Tcp:Address"] = "203.0.113.7" };

        var error = Assert.ThrowsAsync<InvalidOperationException>(() => TestNode.StartAsync("node-x", settings));

        Assert.That(error!.Message, Does.StartWith($"Hub:Tcp:Address ('203.0.113.7') and Hub:Tcp:Port ({port}): the node cannot listen there: "));
    }

    // A non-loopback IPv4 address of this machine, if it has one that is up.
    private static IPAddress? OtherAddressOfThisMachine() =>
        NetworkInterface.GetAllNetworkInterfaces()
            .Where(i => i.OperationalStatus == OperationalStatus.Up)
            .SelectMany(i => i.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));
}
