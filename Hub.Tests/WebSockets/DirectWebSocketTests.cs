using System.Buffers.Binary;
using System.Text;
using Hub.Client;
using Hub.Server.Connections;
using Hub.Server.WebSockets;
using Hub.Tests.Auth;
using Hub.Tests.Infrastructure;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Hub.Tests.WebSockets;

/// <summary>WebSockets served straight from the socket (Hub:WebSockets:Direct), and what still goes to HTTP.</summary>
public sealed class DirectWebSocketTests() : ClusterTest(Topology.InMemory)
{
    private const string Handshake = "{\"protocol\":\"json\",\"version\":1}\u001e";

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?> { ["Hub:WebSockets:Direct"] = "true" };

    [Test]
    public async Task TheOfficialClient_IsServedDirectly_UnderTheIdItNegotiated([Values] HubProtocolKind protocol)
    {
        var alice = await ConnectAsync(NodeA, "alice", protocol);

        var sent = await alice.Client.SendToConnectionAsync(alice.ConnectionId, "to my own connection id").Within();
        var message = await alice.Messages.WaitForAsync(m => m.Id == sent.Id, "the message to the client's negotiated id");

        Assert.Multiple(() =>
        {
            Assert.That(TransportOf(NodeA, alice.ConnectionId), Is.InstanceOf<WebSocketConnection>());
            Assert.That(message.User, Is.EqualTo("alice"), "the user query parameter names the user without an HTTP request");
        });
    }

    [Test]
    public async Task WithDirectOff_WebSocketsGoThroughSignalRsOwnTransport()
    {
        var node = Own(await StartNodeAsync("node-plain", extra: new Dictionary<string, string?> { ["Hub:WebSockets:Direct"] = "false" }));
        var bob = await ConnectAsync(node, "bob");

        var sent = await bob.Client.SendAsync("through SignalR's transport").Within();
        await bob.Messages.WaitForAsync(m => m.Id == sent.Id, "the broadcast");

        Assert.That(TransportOf(node, bob.ConnectionId), Is.Not.Null.And.Not.InstanceOf<WebSocketConnection>());
    }

    [Test]
    public async Task AHeadInPieces_Fragments_AndPings_AreUnderstood()
    {
        using var socket = await RawWebSocket.ConnectAsync(NodeA, "/hub?user=raw", pieces: 3);
        Assert.That(socket.ResponseHead, Does.StartWith("HTTP/1.1 101 "));

        await socket.SendTextAsync(Handshake[..12], fin: false);
        await socket.SendTextAsync(Handshake[12..], opcode: 0x0);
        await socket.ReadTextUntilAsync("{}");

        await socket.SendFrameAsync(0x9, "are you there"u8.ToArray());
        var pong = await socket.ReadFrameAsync();
        Assert.That(pong?.Opcode, Is.EqualTo(0xA));
        Assert.That(Encoding.UTF8.GetString(pong!.Value.Payload), Is.EqualTo("are you there"));

        // A control frame may come between the fragments of a message (RFC 6455 §5.4).
        var invocation = "{\"type\":1,\"invocationId\":\"1\",\"target\":\"Send\",\"arguments\":[\"in two frames\"]}\u001e";
        await socket.SendTextAsync(invocation[..20], fin: false);
        await socket.SendFrameAsync(0x9, "between"u8.ToArray());
        await socket.SendTextAsync(invocation[20..], opcode: 0x0);

        // The broadcast and the call's completion, in whichever order they come.
        var frames = "";
        while (!(frames.Contains("in two frames") && frames.Contains("\"type\":3,\"invocationId\":\"1\"")))
        {
            frames += await socket.ReadTextUntilAsync("\u001e");
        }

        Assert.That(frames, Does.Contain("\"target\":\"Receive\"").And.Contain("\"user\":\"raw\""));
    }

    [Test]
    public async Task AClientThatBreaksTheFraming_IsClosedWith1002_AndNoOneElseNotices()
    {
        var honest = await ConnectAsync(NodeA);
        using var socket = await RawWebSocket.ConnectAsync(NodeA);

        await socket.SendFrameAsync(0x1, Encoding.UTF8.GetBytes(Handshake), mask: false);
        var close = await socket.ReadFrameAsync();

        Assert.That(close?.Opcode, Is.EqualTo(0x8));
        Assert.Multiple(() =>
        {
            Assert.That(BinaryPrimitives.ReadUInt16BigEndian(close!.Value.Payload), Is.EqualTo(1002));
            Assert.That(Encoding.UTF8.GetString(close.Value.Payload.AsSpan(2)), Does.Contain("not masked"));
        });
        Assert.That(await socket.ReadFrameAsync(), Is.Null, "the node closes the socket after its close frame");

        var sent = await honest.Client.SendAsync("still served").Within();
        await honest.Messages.WaitForAsync(m => m.Id == sent.Id, "the honest client's broadcast");
    }

    [Test]
    public async Task AClientsCloseFrame_IsAnswered_AndItsConnectionLeavesTheNode()
    {
        var connections = NodeA.Services.GetRequiredService<ConnectionRegistry>();
        using var socket = await RawWebSocket.ConnectAsync(NodeA);
        await socket.SendTextAsync(Handshake);
        await socket.ReadTextUntilAsync("{}");
        await Bounded.UntilAsync(() => Task.FromResult(connections.Count == 1), "the connection is registered");

        await socket.SendFrameAsync(0x8, [0x03, 0xE9]);
        var close = await socket.ReadFrameAsync();

        Assert.That(close?.Opcode, Is.EqualTo(0x8));
        Assert.That(BinaryPrimitives.ReadUInt16BigEndian(close!.Value.Payload), Is.EqualTo(1001), "the client's own code comes back");
        Assert.That(await socket.ReadFrameAsync(), Is.Null, "the node closes the socket");
        await Bounded.UntilAsync(() => Task.FromResult(connections.Count == 0), "the connection leaves the node");
    }

    [Test]
    public async Task AnUpgradeTheDirectPathWouldNotServe_GetsHttpsOwnAnswer()
    {
        var limited = Own(await StartNodeAsync("node-limited", extra: new Dictionary<string, string?> { ["Hub:Limits:MaxConnections"] = "1" }));
        using var first = await RawWebSocket.ConnectAsync(limited);
        await first.SendTextAsync(Handshake);
        await first.ReadTextUntilAsync("{}");
        await Bounded.UntilAsync(() => Task.FromResult(limited.Services.GetRequiredService<ConnectionRegistry>().Count == 1), "the first connection is registered");
        using var second = await RawWebSocket.ConnectAsync(limited);
        using var unknownToken = await RawWebSocket.ConnectAsync(NodeA, "/hub?id=never-negotiated");
        using var twoHosts = await RawWebSocket.ConnectAsync(NodeA, extraHeaders: "Host: elsewhere.example\r\n");

        Assert.Multiple(() =>
        {
            Assert.That(first.ResponseHead, Does.StartWith("HTTP/1.1 101 "));
            Assert.That(second.ResponseHead, Does.StartWith("HTTP/1.1 503 "), "over the node's connection limit");
            Assert.That(unknownToken.ResponseHead, Does.StartWith("HTTP/1.1 404 "), "SignalR's answer to a token it did not hand out");
            Assert.That(twoHosts.ResponseHead, Does.StartWith("HTTP/1.1 400 "), "Kestrel's answer to a request with two Host headers");
        });
    }

    [Test]
    public async Task InJwtMode_ATokenInTheHeaderOrQuery_IsChecked_AndABadOneGetsHttps401()
    {
        var node = Own(await StartNodeAsync("node-jwt", extra: TestTokens.NodeSettings()));
        using var header = await RawWebSocket.ConnectAsync(node, extraHeaders: $"Authorization: Bearer {TestTokens.Create("hedy")}\r\n");
        using var query = await RawWebSocket.ConnectAsync(node, $"/hub?access_token={TestTokens.Create("quinn")}&user=mallory");
        using var expired = await RawWebSocket.ConnectAsync(node, $"/hub?access_token={TestTokens.Create("eve", expires: DateTime.UtcNow.AddHours(-1))}");

        await query.SendTextAsync(Handshake);
        await query.ReadTextUntilAsync("{}");
        await query.SendTextAsync("{\"type\":1,\"invocationId\":\"1\",\"target\":\"Send\",\"arguments\":[\"who am I\"]}\u001e");
        var received = await query.ReadTextUntilAsync("who am I");

        Assert.Multiple(() =>
        {
            Assert.That(header.ResponseHead, Does.StartWith("HTTP/1.1 101 "));
            Assert.That(query.ResponseHead, Does.StartWith("HTTP/1.1 101 "));
            Assert.That(received, Does.Contain("\"user\":\"quinn\""), "the token's sub names the user, not the query");
            Assert.That(expired.ResponseHead, Does.StartWith("HTTP/1.1 401 "));
        });
    }

    private static object? TransportOf(TestNode node, string connectionId) =>
        node.Services.GetRequiredService<ConnectionRegistry>().All
            .Single(c => c.Context.ConnectionId == connectionId).Context.Features.Get<ITransferFormatFeature>();
}
