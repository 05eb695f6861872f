using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Hub.Client;
using Hub.Tests.Infrastructure;
using MessagePack;
using MessagePack.Formatters;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Hub.Tests.Hub;

/// <summary>A bad call fails that call with a message that says what was wrong; the connection and everyone else carry on.</summary>
[TestFixture(Topology.InMemory)]
[TestFixture(Topology.Redis)]
public sealed class BadInputTests(Topology topology) : ClusterTest(topology)
{
    private static readonly string OverLimit = new('x', 32769);

    private static IEnumerable<TestCaseData> BadCalls()
    {
        yield return Case("Join", [""], "group name is empty");
        yield return Case("Join", [new string('g', 129)], "129 characters; the limit is 128");
        yield return Case("Join", ["a/b"], "control character or '/'");
        yield return Case("Join", ["bell\u0007"], "control character or '/'");
        yield return Case("Join", ["c1\u0085"], "control character or '/'");
        yield return Case("SendToGroup", ["", "hi"], "group name is empty");
        yield return Case("SendToGroup", [new string('g', 129), "hi"], "limit is 128");
        yield return Case("Leave", [""], "group name is empty");
        yield return Case("GetPresence", [new string('g', 129)], "limit is 128");
        yield return Case("Send", [OverLimit], "data is 32771 bytes as UTF-8 JSON; the limit is 32768");
        yield return Case("Send", [null], "text is missing");
        yield return Case("SendToUser", ["", "hi"], "user id is empty");
        yield return Case("SendToConnection", ["no-such-connection", "hi"], "No connection with id 'no-such-connection'");
        yield return Case("NoSuchMethod", [], "Failed to invoke 'NoSuchMethod' due to an error on the server. HubException: Method does not exist.");
        yield return Case("Send", ["a", "b"], "provides 2 argument(s) but target expects 1");
        yield return Case("Send", [], "provides 0 argument(s) but target expects 1");
        yield return Case("Join", [new[] { 1, 2 }], "Error binding arguments");
        yield return Case("Publish", [Request("nowhere", 1)], "'nowhere' is not a stream: use all, group:{name}, user:{id} or connection:{id}");
        yield return Case("Publish", [Request("group:", 1)], "'group:' is not a stream");
        yield return Case("Publish", [Request("all", 1, new string('e', 129))], "The event name is 129 characters; it must be 1 to 128");
        yield return Case("Publish", [Request("all", 1, "")], "The event name is 0 characters");
        yield return Case("Publish", [Request("all", 1, "ding\u0007")], "event name 'ding\u0007' contains a control character");
        yield return Case("Publish", [Request("all", new string('x', 32767))], "data is 32769 bytes as UTF-8 JSON; the limit is 32768");
        yield return Case("Publish", [Request("all", null)], "The data is null");
        yield return Case("Publish", [new Dictionary<string, object?> { ["to"] = "all" }], "The data is missing");
        yield return Case("Publish", [Request("all", Nested(33))], "nested more than 32 levels deep");
        yield return Case("Publish", [Request("connection:no-such-connection", 1)], "No connection with id 'no-such-connection'");
        yield return Case("Publish", [null], "The request is missing");
    }

    /// <summary>A PublishRequest as any client writes it, in JSON or MessagePack alike.</summary>
    private static Dictionary<string, object?> Request(string to, object? data, string? @event = null)
    {
        var request = new Dictionary<string, object?> { ["to"] = to, ["data"] = data };
        if (@event is not null)
        {
            request["event"] = @event;
        }

        return request;
    }

    private static object Nested(int depth) => depth == 0 ? "core" : new object[] { Nested(depth - 1) };

    private static TestCaseData Case(string method, object?[] args, string expected) =>
        new TestCaseData(method, args, expected).SetArgDisplayNames($"{method}({string.Join(", ", args.Select(Describe))})");

    private static string Describe(object? arg) => arg switch
    {
        null => "null",
        string { Length: > 20 } s => $"<{s.Length} chars>",
        string s => $"\"{s}\"",
        IDictionary<string, object?> request => $"{{{string.Join(", ", request.Select(p => $"{p.Key}: {Describe(p.Value)}"))}}}",
        object[] items => $"[{string.Join(", ", items.Select(Describe))}]",
        _ => arg.GetType().Name,
    };

    [TestCaseSource(nameof(BadCalls))]
    public async Task BadCall_FailsWithAClearHubException_AndTheConnectionKeepsWorking(string method, object?[] args, string expected)
    {
        foreach (var protocol in new[] { HubProtocolKind.Json, HubProtocolKind.MessagePack })
        {
            await using var connection = await RawConnectionAsync(NodeA, protocol);

            var error = Assert.ThrowsAsync<HubException>(() => connection.InvokeCoreAsync(method, typeof(object), args).Within());

            Assert.That(error!.Message, Does.Contain(expected), $"over {protocol}");
            var after = await connection.InvokeAsync<SendResult>("Send", "still here").Within();
            Assert.That(after.Stream, Is.EqualTo("all"), $"over {protocol}");
        }
    }

    private static IEnumerable<TestCaseData> ValuesJsonCannotCarry()
    {
        yield return new TestCaseData(new byte[] { 1, 2, 3 }, "MessagePack binary, which JSON cannot carry: send it as a base64 string").SetArgDisplayNames("binary");
        yield return new TestCaseData(new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc), "MessagePack extension").SetArgDisplayNames("a timestamp");
        yield return new TestCaseData(double.NaN, "NaN or an infinity").SetArgDisplayNames("NaN");
        yield return new TestCaseData(new Dictionary<int, string> { [1] = "one" }, "map with a Integer key").SetArgDisplayNames("an integer key");
        yield return new TestCaseData(new NotUtf8(), "not valid Unicode").SetArgDisplayNames("a string that is not UTF-8");
        yield return new TestCaseData(Nested(40), "nested more than 32 levels deep").SetArgDisplayNames("nesting 40 deep");
    }

    [TestCaseSource(nameof(ValuesJsonCannotCarry))]
    public async Task DataOverMessagePack_ThatJsonCannotCarry_FailsThatCall_WithTheReason(object data, string expected)
    {
        await using var connection = await RawConnectionAsync(NodeA, HubProtocolKind.MessagePack);

        var error = Assert.ThrowsAsync<HubException>(() => connection.InvokeAsync<SendResult>("Publish", Request("all", data)).Within());

        // Not SignalR's "Error binding arguments": the reason, passed on as a HubException.
        Assert.That(error!.Message, Does.Contain("HubException: ").And.Contain(expected));
        var after = await connection.InvokeAsync<SendResult>("Send", "still here").Within();
        Assert.That(after.Stream, Is.EqualTo("all"));
    }

    [TestCase("0.10000000000000001", "would come back as 0.1")]
    [TestCase("18446744073709551616", "would come back as 1.8446744073709552E+19")]
    [TestCase("1e400", "beyond a double's range")]
    public async Task ANumberOverJson_ThatMessagePackWouldChange_FailsThatCall_WithTheReason(string number, string expected)
    {
        await using var connection = await RawConnectionAsync(NodeA, HubProtocolKind.Json);

        var error = Assert.ThrowsAsync<HubException>(() =>
            connection.InvokeAsync<SendResult>("Publish", Request("all", JsonElement.Parse($"{{\"n\":{number}}}"))).Within());

        Assert.That(error!.Message, Does.Contain($"The number {number} in data cannot be carried unchanged").And.Contain(expected));
        var after = await connection.InvokeAsync<SendResult>("Send", "still here").Within();
        Assert.That(after.Stream, Is.EqualTo("all"));
    }

    [Test]
    public async Task AFrameOverTheReceiveLimit_ClosesOnlyThatConnection()
    {
        var bystander = await ConnectAsync(NodeA);
        await using var offender = await RawConnectionAsync(NodeA, HubProtocolKind.Json);
        var closed = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        offender.Closed += e =>
        {
            closed.TrySetResult(e);
            return Task.CompletedTask;
        };

        // Larger than any valid text with its escaping: SignalR refuses the frame itself.
        _ = offender.InvokeAsync<SendResult>("Send", new string('x', (6 * 32768) + 10_000));

        var reason = await closed.Task.Within();
        Assert.That(reason?.Message, Does.Contain("Hub:Limits:MaxMessageBytes").And.Not.Contain("AddHubOptions"),
            "the reason names the setting an operator can change");
        var result = await bystander.Client.SendAsync("still served").Within();
        await bystander.Messages.WaitForAsync(m => m.Id == result.Id, "the bystander's own broadcast");
    }

    [Test]
    public async Task GarbageOnARawWebSocket_HarmsNeitherTheNodeNorOtherClients()
    {
        var bystander = await ConnectAsync(NodeA);
        var wsUrl = new UriBuilder(NodeA.HubUrl) { Scheme = "ws" }.Uri;
        byte[][] payloads =
        [
            Encoding.UTF8.GetBytes("this is not a handshake\u001e"),
            Encoding.UTF8.GetBytes("{\"protocol\":\"nope\",\"version\":1}\u001e"),
            Encoding.UTF8.GetBytes("{\"protocol\":\"json\",\"version\":1}\u001e{\"type\":1,\"target\":\u001e"),
            Encoding.UTF8.GetBytes("{\"protocol\":\"json\",\"version\":1}\u001e{\"type\":99}\u001e"),
            Encoding.UTF8.GetBytes("{\"protocol\":\"messagepack\",\"version\":1}\u001e\u00ff\u00ff\u00ff\u00ff\u00ff"),
            [0, 1, 2, 3, 255, 254, 0x1e],
        ];

        foreach (var payload in payloads)
        {
            using var socket = new ClientWebSocket();
            await socket.ConnectAsync(wsUrl, CancellationToken.None).Within();
            await socket.SendAsync(payload, WebSocketMessageType.Binary, true, CancellationToken.None).Within();
            // The node answers or closes; either way it must not take anyone else down.
            var buffer = new byte[4096];
            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                while (socket.State == WebSocketState.Open)
                {
                    var read = await socket.ReceiveAsync(buffer, cts.Token);
                    if (read.MessageType == WebSocketMessageType.Close)
                    {
                        break;
                    }
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
            {
                // A node that keeps a half-open garbage connection waiting is fine too.
            }
        }

        var result = await bystander.Client.SendAsync("still served").Within();
        await bystander.Messages.WaitForAsync(m => m.Id == result.Id, "the bystander's own broadcast");
    }

    private async Task<HubConnection> RawConnectionAsync(TestNode node, HubProtocolKind protocol)
    {
        var builder = new HubConnectionBuilder().WithUrl(node.HubUrl);
        if (protocol == HubProtocolKind.MessagePack)
        {
            builder.AddMessagePackProtocol();
        }

        var connection = builder.Build();
        await connection.StartAsync().Within();
        return connection;
    }

    /// <summary>A MessagePack string whose bytes are no UTF-8 (an encoded surrogate), as a careless encoder writes it.</summary>
    [MessagePackFormatter(typeof(Formatter))]
    public sealed class NotUtf8
    {
        public sealed class Formatter : IMessagePackFormatter<NotUtf8>
        {
            public void Serialize(ref MessagePackWriter writer, NotUtf8 value, MessagePackSerializerOptions options)
            {
                writer.WriteStringHeader(3);
                writer.WriteRaw(new byte[] { 0xED, 0xA0, 0x80 });
            }

            public NotUtf8 Deserialize(ref MessagePackReader reader, MessagePackSerializerOptions options) => throw new NotSupportedException();
        }
    }
}
