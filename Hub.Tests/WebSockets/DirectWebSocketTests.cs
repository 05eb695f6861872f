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
        await AssertStillServedAsync(honest);
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

        Assert.That(await socket.VerdictAsync(probe: false), Is.EqualTo("close 1000"), "answered 1000, as SignalR's WebSocket transport answers any client's close");
        await Bounded.UntilAsync(() => Task.FromResult(connections.Count == 0), "the connection leaves the node");
    }

    [TestCase(null)]
    [TestCase(1000)]
    [TestCase(1001)]
    [TestCase(1003)]
    [TestCase(1014)]
    [TestCase(3000)]
    [TestCase(4999)]
    public async Task AClientsValidClose_IsAnswered1000_AsSignalRsTransportAnswersIt(int? code)
    {
        using var socket = await HandshakenSocketAsync();

        await socket.SendFrameAsync(0x8, code is null ? [] : ClientFrame.ClosePayload((ushort)code, "bye"u8));

        Assert.That(await socket.VerdictAsync(probe: false), Is.EqualTo("close 1000"));
    }

    public static IEnumerable<TestCaseData> BrokenCloses() =>
        new[] { 0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535 }
            .Select(code => new TestCaseData(ClientFrame.ClosePayload((ushort)code)).SetArgDisplayNames($"code {code}"))
            .Append(new TestCaseData(new byte[] { 0x03 }).SetArgDisplayNames("1-byte payload"))
            .Append(new TestCaseData(ClientFrame.ClosePayload(1000, [.. "κόσμε"u8, 0xed, 0xa0, 0x80])).SetArgDisplayNames("reason not UTF-8"));

    [TestCaseSource(nameof(BrokenCloses))]
    public async Task AClientsCloseThatBreaksRfc6455_IsAnswered1002_NeverEchoed_AndNoOneElseNotices(byte[] payload)
    {
        var honest = await ConnectAsync(NodeA);
        using var socket = await HandshakenSocketAsync();

        await socket.SendFrameAsync(0x8, payload);

        Assert.That(await socket.VerdictAsync(probe: false), Is.EqualTo("close 1002"));
        await AssertStillServedAsync(honest);
    }

    [TestCase("one frame")]
    [TestCase("two fragments")]
    public async Task TextThatIsNotUtf8_IsClosedWith1007_AndNoOneElseNotices(string how)
    {
        var honest = await ConnectAsync(NodeA);
        using var socket = await HandshakenSocketAsync();
        byte[] invalid = [.. "{\"type\":6,\"x\":\""u8, 0xe2, 0x82, .. "A\"}\u001e"u8];

        if (how == "one frame")
        {
            await socket.SendFrameAsync(0x1, invalid);
        }
        else
        {
            await socket.SendFrameAsync(0x1, invalid[..^4], fin: false);
            await socket.SendFrameAsync(0x0, invalid[^4..]);
        }

        Assert.That(await socket.VerdictAsync(probe: false), Is.EqualTo("close 1007"));
        await AssertStillServedAsync(honest);
    }

    [Test]
    public async Task TextThatIsNotUtf8_IsClosedWith1007_BeforeTheRestOfItsFrameComes()
    {
        using var socket = await HandshakenSocketAsync();
        byte[] text = [.. "κόσμε"u8, 0xf4, 0x90, 0x80, 0x80, .. new byte[100]];
        var frame = ClientFrame.Build(0x1, text);

        await socket.SendRawAsync(frame[..(frame.Length - text.Length + 13)]);

        Assert.That(await socket.VerdictAsync(probe: false), Is.EqualTo("close 1007"), "the rest of the frame never comes");
    }

    [Test]
    public async Task AFrameThatFailsTheConnection_ReachesTheHubInNoPart()
    {
        var honest = await ConnectAsync(NodeA);
        using var socket = await HandshakenSocketAsync();
        byte[] frame = [.. "{\"type\":1,\"target\":\"Send\",\"arguments\":[\"from a broken frame\"]}\u001e"u8, 0xff];

        await socket.SendFrameAsync(0x1, frame);

        Assert.That(await socket.VerdictAsync(probe: false), Is.EqualTo("close 1007"));
        var sent = await honest.Client.SendAsync("after it").Within();
        await honest.Messages.WaitForAsync(m => m.Id == sent.Id, "a broadcast sent after the broken frame");
        Assert.That(honest.Messages.Items.Select(m => m.Text), Does.Not.Contain("from a broken frame"), "RFC 6455 §7.1.7: a failed connection's data is not processed");
    }

    [Test]
    public async Task TextSplitInsideACharacter_AcrossFragments_IsDeliveredIntact()
    {
        var honest = await ConnectAsync(NodeA);
        using var socket = await HandshakenSocketAsync();
        var invocation = Encoding.UTF8.GetBytes("{\"type\":1,\"invocationId\":\"1\",\"target\":\"Send\",\"arguments\":[\"5 € 𤭢\"]}\u001e");
        var euro = invocation.AsSpan().IndexOf("€"u8);

        await socket.SendFrameAsync(0x1, invocation[..(euro + 1)], fin: false);
        await socket.SendFrameAsync(0x9, "between"u8.ToArray());
        await socket.SendFrameAsync(0x0, invocation[(euro + 1)..(euro + 2)], fin: false);
        await socket.SendFrameAsync(0x0, invocation[(euro + 2)..]);

        var message = await honest.Messages.WaitForAsync(m => m.Text is not null && m.Text.StartsWith("5 ", StringComparison.Ordinal), "the broadcast");
        Assert.That(message.Text, Is.EqualTo("5 € 𤭢"));
        Assert.That(await socket.VerdictAsync(), Is.EqualTo("pong 'between', open"));
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

    private async Task<RawWebSocket> HandshakenSocketAsync()
    {
        var socket = await RawWebSocket.ConnectAsync(NodeA);
        await socket.SendTextAsync(Handshake);
        await socket.ReadTextUntilAsync("{}");
        return socket;
    }

    private static async Task AssertStillServedAsync(TestClient honest)
    {
        var sent = await honest.Client.SendAsync("still served").Within();
        await honest.Messages.WaitForAsync(m => m.Id == sent.Id, "the honest client's broadcast");
    }

    private static object? TransportOf(TestNode node, string connectionId) =>
        node.Services.GetRequiredService<ConnectionRegistry>().All
            .Single(c => c.Context.ConnectionId == connectionId).Context.Features.Get<ITransferFormatFeature>();
}
