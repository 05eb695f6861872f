using System.Net.Sockets;
using System.Text;
using Hub.Client;
using Hub.Tests.Auth;
using Hub.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR;

namespace Hub.Tests.Tcp;

/// <summary>The hub over raw TCP (Hub:Tcp:Port) beside WebSockets, on two nodes sharing Redis.</summary>
public sealed class TcpTests() : ClusterTest(Topology.Redis)
{
    [Test]
    public async Task ATcpClientAndAWebSocketClient_OnDifferentNodes_ReachEachOther_ByEveryRoute([Values] HubProtocolKind protocol)
    {
        var (node, port) = await StartTcpNodeAsync();
        var tina = await ConnectTcpAsync(port, protocol);
        var walt = await ConnectAsync(NodeA, "walt", protocol);
        await tina.Client.JoinAsync("room").Within();
        await walt.Client.JoinAsync("room").Within();

        foreach (var (from, to, toUser) in new[] { (tina, walt, "walt"), (walt, tina, (string?)null) })
        {
            var sent = new[]
            {
                await from.Client.SendAsync("to all").Within(),
                await from.Client.SendToConnectionAsync(to.ConnectionId, "to one connection").Within(),
                await from.Client.SendToGroupAsync("room", "to the group").Within(),
            }.ToList();
            if (toUser is not null)
            {
                sent.Add(await from.Client.SendToUserAsync(toUser, "to the user").Within());
            }

            foreach (var result in sent)
            {
                await to.Messages.WaitForAsync(m => m.Id == result.Id, $"{result.Stream} across nodes and transports");
            }
        }

        var presence = await walt.Client.GetPresenceAsync("room").Within();
        Assert.That(presence.Nodes.Select(n => n.Id), Is.EquivalentTo(new[] { "node-a", node.NodeId }), "the TCP client is in presence like any other");
    }

    [Test]
    public async Task EveryShapeOfData_CrossesBetweenTcpAndWebSockets_AndProtocols_Identical([Values] HubProtocolKind tcpProtocol)
    {
        var (_, port) = await StartTcpNodeAsync();
        var tina = await ConnectTcpAsync(port, tcpProtocol);
        var other = tcpProtocol == HubProtocolKind.Json ? HubProtocolKind.MessagePack : HubProtocolKind.Json;
        var walt = await ConnectAsync(NodeA, "walt", other);

        foreach (var (from, to, what) in new[] { (tina, walt, $"TCP {tcpProtocol} to WebSockets {other}"), (walt, tina, $"WebSockets {other} to TCP {tcpProtocol}") })
        {
            var sent = new List<(string Name, System.Text.Json.JsonElement Data, SendResult Result)>();
            foreach (var (name, json) in Data.DataShapes.All)
            {
                var data = Data.DataShapes.Parse(json);
                sent.Add((name, data, await from.Client.PublishAsync($"connection:{to.ConnectionId}", "shape", data).Within()));
            }

            foreach (var (name, data, result) in sent)
            {
                var message = await to.Messages.WaitForAsync(m => m.Id == result.Id, $"{name}, {what}");
                Data.DataShapes.AssertSame(data, message.Data, $"{name}, {what}");
                Assert.That(message.Event, Is.EqualTo("shape"));
            }
        }
    }

    [Test]
    public async Task ATcpClient_WhoseNodeRestarts_ReconnectsOverTcp_AndResumesWhatItMissed()
    {
        var (node, port) = await StartTcpNodeAsync();
        var tina = await ConnectTcpAsync(port, HubProtocolKind.MessagePack);
        await tina.Client.JoinAsync("room").Within();
        var sender = await ConnectAsync(NodeA);

        await node.StopAsync();
        var missed = new List<SendResult>();
        for (var i = 0; i < 20; i++)
        {
            missed.Add(await sender.Client.SendToGroupAsync("room", $"while the TCP node was away {i}").Within());
        }

        Own(await StartNodeAsync("node-tcp-again", extra: new Dictionary<string, string?> { ["Hub:Tcp:Port"] = port.ToString() }));
        await tina.Reconnected.WaitForCountAsync(1, "the reconnect over TCP");
        await tina.Messages.WaitForAsync(m => m.Id == missed[^1].Id, "the last missed message");

        Assert.That(tina.Messages.Items.Where(m => m.Stream == "group:room").Select(m => m.Id), Is.EqualTo(missed.Select(r => r.Id)));
        Assert.That(tina.Lost.Items, Is.Empty);
    }

    [Test]
    public async Task AStoppingNode_TakesItsTcpConnectionsOutOfPresence_AndTellsTheirGroups_BeforeItLetsRedisGo()
    {
        // As Kestrel waits for HTTP's connections, the stopping node waits for its TCP
        // connections to leave presence and their groups. Redis answers slowly here (paused for
        // longer than the node's sign-off waits), so a node that went on stopping without
        // waiting would close its Redis connection under those departures: the connections
        // would stay listed until the other nodes counted the node dead, and a MemberLeft that
        // failed after presence let the connection go would never be sent at all.
        var (node, port) = await StartTcpNodeAsync(new() { ["Hub:Shutdown:DrainSeconds"] = "0" });
        var walt = await ConnectAsync(NodeA, "walt");
        await walt.Client.JoinAsync("room").Within();
        var ids = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            var tina = await ConnectTcpAsync(port, HubProtocolKind.Json);
            await tina.Client.JoinAsync("room").Within();
            ids.Add(tina.ConnectionId);
        }

        await Redis!.PauseAsync(TimeSpan.FromSeconds(3)).Within();
        await node.DisposeAsync();

        var room = await walt.Client.GetPresenceAsync("room").Within();
        Assert.That(room.Connections, Is.EqualTo(1), "the stopped node's connections are out of the room");
        foreach (var id in ids)
        {
            await walt.Left.WaitForAsync(e => e.ConnectionId == id, $"MemberLeft for {id}");
        }
    }

    [Test]
    public async Task BadBytesOnTheTcpPort_CloseOnlyThatConnection()
    {
        var (_, port) = await StartTcpNodeAsync();
        var honest = await ConnectTcpAsync(port, HubProtocolKind.Json);

        using var garbage = new TcpClient();
        await garbage.ConnectAsync("127.0.0.1", port).Within();
        var stream = garbage.GetStream();
        await stream.WriteAsync(Encoding.UTF8.GetBytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n\u001e{\"type\":1,\u001e")).AsTask().Within();
        var buffer = new byte[4096];
        int read;
        do
        {
            read = await stream.ReadAsync(buffer).AsTask().Within();
        }
        while (read > 0);

        var result = await honest.Client.SendAsync("still served").Within();
        await honest.Messages.WaitForAsync(m => m.Id == result.Id, "the honest TCP client's broadcast");
    }

    [Test]
    public async Task InJwtMode_TheFirstFrameCarriesTheToken_AndABadOneIsRefusedWithTheReason()
    {
        var port = Ports.Free();
        var settings = new Dictionary<string, string?>(TestTokens.NodeSettings()) { ["Hub:Tcp:Port"] = port.ToString() };
        Own(await StartNodeAsync("node-tcp-jwt", extra: settings));
        var tina = Own(new TestClient(new HubClientOptions
        {
            Url = new Uri($"tcp://127.0.0.1:{port}"),
            AccessTokenProvider = () => Task.FromResult<string?>(TestTokens.Create("tina")),
        }));
        var mallory = Own(new TestClient(new HubClientOptions
        {
            Url = new Uri($"tcp://127.0.0.1:{port}"),
            AccessTokenProvider = () => Task.FromResult<string?>(TestTokens.Create("mallory", expires: DateTime.UtcNow.AddHours(-1))),
        }));

        await tina.Client.StartAsync().Within();
        var direct = await tina.Client.SendToUserAsync("tina", "the user id is the token's sub").Within();
        var refused = Assert.ThrowsAsync<HubException>(() => mallory.Client.StartAsync().Within());

        var message = await tina.Messages.WaitForAsync(m => m.Id == direct.Id, "the message to the token's user");
        Assert.Multiple(() =>
        {
            Assert.That(message.User, Is.EqualTo("tina"));
            Assert.That(refused!.Message, Does.Contain("The node refused the connection: The token was refused"));
        });
    }

    [Test]
    public async Task InJwtMode_ATcpConnectionEndsWhenItsTokenExpires_AndComesBackWithAFreshOne()
    {
        var port = Ports.Free();
        var settings = new Dictionary<string, string?>(TestTokens.NodeSettings()) { ["Hub:Tcp:Port"] = port.ToString() };
        Own(await StartNodeAsync("node-tcp-expiry", extra: settings));
        var tokens = new ExpiringTokens("tina");
        var tina = Own(new TestClient(new HubClientOptions { Url = new Uri($"tcp://127.0.0.1:{port}"), AccessTokenProvider = tokens.NextAsync }));
        await tokens.OutliveAsync(tina);

        var after = await tina.Client.SendToUserAsync("tina", "back with a fresh token").Within();
        await tina.Messages.WaitForAsync(m => m.Id == after.Id, "a message after the reconnect");
    }

    /// <summary>The TCP framing of docs/protocol.md, followed by hand with nothing but a socket: what a C or Python client would do.</summary>
    [Test]
    public async Task AClientWrittenOnlyAgainstTheSpec_HandshakesSendsAndReceives()
    {
        var (_, port) = await StartTcpNodeAsync();
        using var client = await RawTcpConnection.ConnectAsync(port);
        await client.HandshakeAsync();
        await client.SendAsync("{\"type\":1,\"invocationId\":\"1\",\"target\":\"Send\",\"arguments\":[\"hello from a plain socket\"]}");
        var frames = new List<string>();
        while (!(frames.Any(f => f.Contains("\"type\":3") && f.Contains("\"invocationId\":\"1\"")) && frames.Any(f => f.Contains("\"target\":\"Receive\""))))
        {
            frames.Add(await client.ReadFrameAsync("the Send's completion and the broadcast") ?? throw new AssertionException("The node closed the connection."));
        }

        Assert.Multiple(() =>
        {
            Assert.That(client.Greeting, Does.StartWith("{\"connectionId\":\""), "the node greets with the connection id");
            Assert.That(frames.Single(f => f.Contains("\"target\":\"Receive\"")), Does.Contain("hello from a plain socket"));
            Assert.That(frames.Single(f => f.Contains("\"type\":3")), Does.Contain("\"result\":{\"id\":"));
        });
    }

    private async Task<(TestNode Node, int Port)> StartTcpNodeAsync(Dictionary<string, string?>? settings = null)
    {
        var port = Ports.Free();
        var extra = new Dictionary<string, string?>(settings ?? []) { ["Hub:Tcp:Port"] = port.ToString() };
        var node = Own(await StartNodeAsync("node-tcp", extra: extra));
        return (node, port);
    }

    private async Task<TestClient> ConnectTcpAsync(int port, HubProtocolKind protocol)
    {
        var client = Own(new TestClient(new HubClientOptions { Url = new Uri($"tcp://127.0.0.1:{port}"), Protocol = protocol }));
        await client.Client.StartAsync().Within();
        return client;
    }
}
