using System.Net.WebSockets;
using System.Text;
using Hub.Client;
using Hub.Tests.Infrastructure;
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
        yield return Case("Send", [OverLimit], "32769 bytes (UTF-8); the limit is 32768");
        yield return Case("Send", [null], "text is missing");
        yield return Case("SendToUser", ["", "hi"], "user id is empty");
        yield return Case("SendToConnection", ["no-such-connection", "hi"], "No connection with id 'no-such-connection'");
        yield return Case("NoSuchMethod", [], "Failed to invoke 'NoSuchMethod' due to an error on the server. HubException: Method does not exist.");
        yield return Case("Send", ["a", "b"], "provides 2 argument(s) but target expects 1");
        yield return Case("Send", [], "provides 0 argument(s) but target expects 1");
        yield return Case("Join", [new[] { 1, 2 }], "Error binding arguments");
    }

    private static TestCaseData Case(string method, object?[] args, string expected) =>
        new TestCaseData(method, args, expected).SetArgDisplayNames($"{method}({string.Join(", ", args.Select(Describe))})");

    private static string Describe(object? arg) => arg switch
    {
        null => "null",
        string { Length: > 20 } s => $"<{s.Length} chars>",
        string s => $"\"{s}\"",
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
}
