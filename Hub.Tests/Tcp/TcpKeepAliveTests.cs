using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Hub.Client;
using Hub.Server.Hubs;
using Hub.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Hub.Tests.Tcp;

/// <summary>
/// TCP connections are pinged and timed out as WebSockets are, from SignalR's own
/// <c>KeepAliveInterval</c> and <c>ClientTimeoutInterval</c>, shortened here so the waits are
/// seconds. The TCP node is a third node, so what a departure tells the others crosses Redis.
/// </summary>
public sealed class TcpKeepAliveTests() : ClusterTest(Topology.Redis)
{
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(3);

    // SignalR checks both once a second, so each may come up to a second late; and the machine is shared.
    private static readonly TimeSpan Late = TimeSpan.FromSeconds(2);

    private const string Ping = """{"type":6}""";

    [Test]
    public async Task ATcpClientThatFallsSilent_IsPinged_ThenClosedAfterTheClientTimeout_AndLeavesPresenceAndItsGroup()
    {
        var port = await StartTcpNodeAsync();
        var walt = await ConnectAsync(NodeA, "walt");
        await walt.Client.JoinAsync("room").Within();
        using var tina = await RawTcpConnection.ConnectAsync(port);
        var tinaId = JsonDocument.Parse(tina.Greeting).RootElement.GetProperty("connectionId").GetString();
        await tina.HandshakeAsync();
        var handshaken = Stopwatch.StartNew();
        var frames = new List<(TimeSpan AfterHandshake, string Frame)>();
        await tina.SendAsync("""{"type":1,"invocationId":"1","target":"Join","arguments":["room"]}""");
        foreach (var frame in await tina.ReadUntilAsync("\"invocationId\":\"1\"", "the Join's completion"))
        {
            frames.Add((handshaken.Elapsed, frame));
        }

        await walt.Joined.WaitForAsync(e => e.ConnectionId == tinaId, "MemberJoined for the TCP client");

        // As every SignalR client pings on its keep-alive schedule; from a client's first ping on,
        // SignalR counts its silence, on WebSockets as on TCP.
        await tina.SendAsync(Ping);
        var silent = Stopwatch.StartNew();
        while (await tina.ReadFrameAsync("pings and then the close", ClientTimeout + Late + Late) is { } frame)
        {
            frames.Add((handshaken.Elapsed, frame));
        }

        var closedAfter = silent.Elapsed;
        await walt.Left.WaitForAsync(e => e.ConnectionId == tinaId, "MemberLeft for the timed-out TCP client");
        var room = await walt.Client.GetPresenceAsync("room").Within();
        var hub = await walt.Client.GetPresenceAsync(null).Within();

        var pings = frames.Where(f => f.Frame == Ping).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(pings, Is.Not.Empty, "the node pings the client");
            Assert.That(pings.FirstOrDefault().AfterHandshake, Is.LessThanOrEqualTo(KeepAlive + Late), "within the keep-alive interval of the handshake");
            Assert.That(frames[^1].Frame, Does.StartWith("""{"type":7,""").And.Contain("ClientTimeoutInterval"), "then closes it, saying why");
            Assert.That(closedAfter, Is.InRange(ClientTimeout - TimeSpan.FromMilliseconds(100), ClientTimeout + Late), "once the client timeout ran out");
            Assert.That(room.Connections, Is.EqualTo(1), "the timed-out client left its group");
            Assert.That(hub.Connections, Is.EqualTo(1), "and presence");
        });
    }

    [Test]
    public async Task ATcpClientThatKeepsPinging_StaysConnectedPastTheClientTimeout()
    {
        var port = await StartTcpNodeAsync();
        using var tina = await RawTcpConnection.ConnectAsync(port);
        await tina.HandshakeAsync();

        var pinging = Stopwatch.StartNew();
        while (pinging.Elapsed < 2 * ClientTimeout)
        {
            await tina.SendAsync(Ping);
            await Task.Delay(KeepAlive);
        }

        await tina.SendAsync("""{"type":1,"invocationId":"1","target":"Send","arguments":["still here"]}""");
        var frames = await tina.ReadUntilAsync("\"invocationId\":\"1\"", "the Send's completion");

        Assert.Multiple(() =>
        {
            Assert.That(frames, Has.None.Contains("\"type\":7"), "no close while the client pings");
            Assert.That(frames, Has.Some.EqualTo(Ping), "the node pinged meanwhile");
            Assert.That(frames[^1], Does.Contain("\"result\":{\"id\":"), "the connection still serves calls");
        });
    }

    [Test]
    public async Task AnIdleHubClientOverTcp_StaysConnectedForTwiceTheClientTimeout([Values] HubProtocolKind protocol)
    {
        // The per-hub options this time (HubOptions<RealtimeHub>), which take precedence over the global ones.
        var port = await StartTcpNodeAsync(s => s.PostConfigure<HubOptions<RealtimeHub>>(Shorten));
        var tina = Own(new TestClient(new HubClientOptions
        {
            Url = new Uri($"tcp://127.0.0.1:{port}"),
            Protocol = protocol,
            // The client's side of the same intervals: it pings every KeepAlive, and gives up on a
            // node it has not heard from in ClientTimeout (by default 15 s and 30 s on both sides).
            ConfigureConnection = b => b.WithKeepAliveInterval(KeepAlive).WithServerTimeout(ClientTimeout),
        }));
        var reconnecting = new Inbox<string>();
        tina.Client.Reconnecting += e => reconnecting.Add(e?.Message ?? "");
        await tina.Client.StartAsync().Within();
        var connectionId = tina.ConnectionId;

        await Task.Delay(2 * ClientTimeout + Late);
        var sent = await tina.Client.SendAsync("after a long silence").Within();
        await tina.Messages.WaitForAsync(m => m.Id == sent.Id, "its own broadcast");

        Assert.Multiple(() =>
        {
            Assert.That(reconnecting.Items, Is.Empty, "neither side timed the other out");
            Assert.That(tina.ConnectionId, Is.EqualTo(connectionId), "the same connection throughout");
        });
    }

    [Test]
    public async Task AHubClientOverTcp_PingsTheNodeEveryKeepAliveInterval()
    {
        // A node's stand-in that only greets and accepts the handshake, then listens: what the
        // client sends unasked are its pings, which keep a real node from timing it out.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var tina = Own(new TestClient(new HubClientOptions
        {
            Url = new Uri($"tcp://127.0.0.1:{port}"),
            ConfigureConnection = b => b.WithKeepAliveInterval(KeepAlive).WithServerTimeout(TimeSpan.FromMinutes(1)),
        }));
        var starting = tina.Client.StartAsync();
        using var node = new RawTcpConnection(await listener.AcceptTcpClientAsync().Within());
        await node.SendAsync("""{"connectionId":"tina"}""");
        Assert.That(await node.ReadFrameAsync("the client's handshake"), Does.Contain("\"protocol\":\"json\""));
        await node.SendAsync("{}");

        // The first frame is the client's Resume, which the stand-in leaves unanswered.
        var listening = Stopwatch.StartNew();
        var pings = 0;
        while (pings < 2 && await node.ReadFrameAsync("the client's pings", 2 * KeepAlive + Late) is { } frame)
        {
            pings += frame == Ping ? 1 : 0;
        }

        var elapsed = listening.Elapsed;
        await tina.Client.StopAsync().Within();
        Assert.Multiple(() =>
        {
            Assert.That(pings, Is.EqualTo(2), "the client pings on its own");
            // Its ticks are a second apart as the node's are, so a ping may come a second late.
            Assert.That(elapsed, Is.LessThan(2 * (KeepAlive + TimeSpan.FromSeconds(1)) + Late), "every KeepAliveInterval, not its default 15 s");
            Assert.That(async () => await starting.Within(), Throws.Exception, "the start, waiting for that Resume, ends with the stop");
        });
    }

    private static void Shorten(HubOptions options)
    {
        options.KeepAliveInterval = KeepAlive;
        options.ClientTimeoutInterval = ClientTimeout;
    }

    private async Task<int> StartTcpNodeAsync(Action<IServiceCollection>? services = null)
    {
        var port = Ports.Free();
        Own(await StartNodeAsync("node-tcp", extra: new Dictionary<string, string?> { ["Hub:Tcp:Port"] = port.ToString() },
            services: services ?? (s => s.Configure<HubOptions>(Shorten))));
        return port;
    }
}
