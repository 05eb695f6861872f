using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using Hub.Tests.Auth;
using Hub.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;

namespace Hub.Tests.Operations;

/// <summary>
/// Over a thousand malformed or hostile frames and HTTP requests against two nodes sharing Redis
/// and a third in Jwt mode, while honest clients keep talking: every node stays up and every
/// honest client is served throughout, on the connection it started with.
/// </summary>
public sealed class HostileInputTests() : ClusterTest(Topology.Redis)
{
    private const string ApiKey = "hostile-test-key";
    private static readonly byte[] Separator = [0x1e];
    private readonly Random _random = new(20261126);
    private int _tried;

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Hub:Api:Keys:0"] = ApiKey,
        // The run must meet the node's parsers, not its rate limits.
        ["Hub:Api:RequestsPerSecond"] = "100000",
    };

    [Test]
    public async Task AThousandHostileInputs_LeaveEveryNodeUp_AndEveryHonestClientServed()
    {
        var jwtSettings = new Dictionary<string, string?>(TestTokens.NodeSettings()) { ["Hub:Redis"] = Redis!.Configuration };
        var jwtNode = Own(await TestNode.StartAsync("node-jwt", jwtSettings));
        var alice = await ConnectAsync(NodeA, "alice");
        var bob = await ConnectAsync(NodeB, "bob");
        var (aliceId, bobId) = (alice.ConnectionId, bob.ConnectionId);
        var honest = 0;

        foreach (var node in new[] { NodeA, NodeB })
        {
            await GarbageBeforeTheHandshakeAsync(node, 80);
            await BadHandshakesAsync(node, 60);
            await BadFramesAfterAGoodHandshakeAsync(node, 40, framesEach: 6);
            await OversizedFramesAsync(node, 10);
            await BadHubHttpAsync(node, 60);
            await BadApiRequestsAsync(node, 120);
            honest += await HonestRoundTripAsync(alice, bob);
        }

        await BadTokensAsync(jwtNode, 100);
        honest += await HonestRoundTripAsync(alice, bob);

        using var http = new HttpClient { Timeout = Bounded.Default };
        foreach (var node in new[] { NodeA, NodeB, jwtNode })
        {
            using var alive = await http.GetAsync(new Uri(node.BaseUrl, "/healthz")).Within();
            Assert.That(alive.StatusCode, Is.EqualTo(HttpStatusCode.OK), $"{node.NodeId} is up");
        }

        TestContext.Out.WriteLine($"Hostile inputs tried: {_tried}; honest round trips served: {honest}.");
        Assert.Multiple(() =>
        {
            Assert.That(_tried, Is.GreaterThanOrEqualTo(1000));
            Assert.That((alice.ConnectionId, bob.ConnectionId), Is.EqualTo((aliceId, bobId)), "the honest clients never lost their connections");
            Assert.That(alice.Reconnected.Items.Concat(bob.Reconnected.Items), Is.Empty);
        });
    }

    private static async Task<int> HonestRoundTripAsync(TestClient alice, TestClient bob)
    {
        var toBob = await alice.Client.SendToUserAsync("bob", "still here?").Within();
        var toAlice = await bob.Client.SendToUserAsync("alice", "still here.").Within();
        await bob.Messages.WaitForAsync(m => m.Id == toBob.Id, "alice's message to bob");
        await alice.Messages.WaitForAsync(m => m.Id == toAlice.Id, "bob's message to alice");
        return 2;
    }

    private async Task GarbageBeforeTheHandshakeAsync(TestNode node, int count)
    {
        for (var i = 0; i < count; i++)
        {
            await SendOnRawSocketAsync(node, [RandomBytes(1 + _random.Next(300))]);
        }
    }

    private async Task BadHandshakesAsync(TestNode node, int count)
    {
        string[] handshakes =
        [
            "{\"protocol\":\"nope\",\"version\":1}", "{\"protocol\":\"json\",\"version\":99}", "{\"protocol\":\"json\"}",
            "{\"version\":1}", "{}", "[]", "null", "{\"protocol\":1,\"version\":\"1\"}", "{\"protocol\":\"json\",\"version\":1",
            "{\"protocol\":\"" + new string('x', 10_000) + "\",\"version\":1}",
        ];
        for (var i = 0; i < count; i++)
        {
            await SendOnRawSocketAsync(node, [Encoding.UTF8.GetBytes(handshakes[i % handshakes.Length]), Separator]);
        }
    }

    private async Task BadFramesAfterAGoodHandshakeAsync(TestNode node, int connections, int framesEach)
    {
        string[] frames =
        [
            "{\"type\":1,\"target\":\"Send\",\"arguments\":[123]}", "{\"type\":1,\"target\":\"Send\",\"arguments\":[{\"a\":1}]}",
            "{\"type\":1,\"invocationId\":\"1\",\"target\":\"NoSuchMethod\",\"arguments\":[]}", "{\"type\":1,\"target\":\"Join\",\"arguments\":[\"\"]}",
            "{\"type\":1,\"invocationId\":\"2\",\"target\":\"SendToGroup\",\"arguments\":[\"a/b\",\"x\"]}", "{\"type\":99}",
            "{\"type\":1,\"target\":", "not json at all", "{\"type\":1,\"invocationId\":\"3\",\"target\":\"Resume\",\"arguments\":[{\"streams\":[{\"stream\":\"nope\"}]}]}",
            "{\"type\":1,\"invocationId\":\"4\",\"target\":\"SendToConnection\",\"arguments\":[\"nobody\",\"x\"]}", "{\"type\":3,\"invocationId\":\"9\"}",
            "{\"type\":1,\"target\":\"Send\",\"arguments\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
        ];
        for (var i = 0; i < connections; i++)
        {
            var payload = new List<byte[]> { Encoding.UTF8.GetBytes("{\"protocol\":\"json\",\"version\":1}"), Separator };
            for (var f = 0; f < framesEach; f++)
            {
                payload.Add(Encoding.UTF8.GetBytes(frames[_random.Next(frames.Length)]));
                payload.Add(Separator);
            }

            await SendOnRawSocketAsync(node, payload, counted: framesEach);
        }
    }

    private async Task OversizedFramesAsync(TestNode node, int count)
    {
        var huge = Encoding.UTF8.GetBytes("{\"type\":1,\"target\":\"Send\",\"arguments\":[\"" + new string('x', 400_000) + "\"]}");
        for (var i = 0; i < count; i++)
        {
            await SendOnRawSocketAsync(node, [Encoding.UTF8.GetBytes("{\"protocol\":\"json\",\"version\":1}"), Separator, huge, Separator]);
        }
    }

    private async Task BadHubHttpAsync(TestNode node, int count)
    {
        using var http = new HttpClient { BaseAddress = node.BaseUrl, Timeout = Bounded.Default };
        string[] paths =
        [
            "/hub/negotiate?negotiateVersion=abc", "/hub/negotiate?negotiateVersion=99", "/hub?id=not-a-connection",
            "/hub?id=" + new string('z', 5000), "/hub/negotiate?user=%00%01", "/hub?user=a/b",
        ];
        for (var i = 0; i < count; i++)
        {
            var method = i % 2 == 0 ? HttpMethod.Post : HttpMethod.Get;
            using var request = new HttpRequestMessage(method, paths[i % paths.Length]) { Content = new ByteArrayContent(RandomBytes(_random.Next(2000))) };
            using var response = await http.SendAsync(request).Within();
            Assert.That((int)response.StatusCode, Is.LessThan(500), $"{method} {request.RequestUri} is refused as a client error");
            _tried++;
        }
    }

    private async Task BadApiRequestsAsync(TestNode node, int count)
    {
        using var http = new HttpClient { BaseAddress = node.BaseUrl, Timeout = Bounded.Default };
        string[] bodies =
        [
            "{", "[]", "null", "{\"text\":123}", "{\"text\":null}", "{\"nottext\":\"x\"}", "\"just a string\"",
            "{\"text\":\"" + new string('y', 200_000) + "\"}", "{\"text\":[\"a\"]}", "<xml/>",
        ];
        string[] paths = ["/api/v1/messages", "/api/v1/users/a%2Fb/messages", "/api/v1/groups/%01/messages", "/api/v1/connections/nobody/messages"];
        for (var i = 0; i < count; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, paths[i % paths.Length])
            {
                Content = new StringContent(bodies[i % bodies.Length], Encoding.UTF8),
            };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue(i % 7 == 0 ? "text/plain" : "application/json");
            request.Headers.Add("X-Api-Key", i % 5 == 0 ? "wrong-key" : ApiKey);
            using var response = await http.SendAsync(request).Within();
            Assert.That((int)response.StatusCode, Is.InRange(400, 499), $"API request {i} is refused as a client error");
            _tried++;
        }
    }

    private async Task BadTokensAsync(TestNode node, int count)
    {
        string[] tokens =
        [
            "not-a-token", "a.b.c", TestTokens.Create("mallory", expires: DateTime.UtcNow.AddHours(-1)),
            TestTokens.Create("mallory", key: Encoding.UTF8.GetBytes("a-different-key-that-is-also-long-enough!")),
            TestTokens.Create("mallory", audience: "someone-else"), "eyJhbGciOiJub25lIn0.eyJzdWIiOiJtYWxsb3J5In0.", new string('e', 8000),
        ];
        for (var i = 0; i < count; i++)
        {
            var token = tokens[i % tokens.Length];
            await using var connection = new HubConnectionBuilder()
                .WithUrl(node.HubUrl, o => o.AccessTokenProvider = () => Task.FromResult<string?>(token))
                .Build();
            var refused = Assert.ThrowsAsync<HttpRequestException>(() => connection.StartAsync().Within());
            Assert.That(refused!.StatusCode, Is.AnyOf(HttpStatusCode.Unauthorized, HttpStatusCode.RequestHeaderFieldsTooLarge, HttpStatusCode.BadRequest));
            _tried++;
        }
    }

    /// <summary>Opens a raw WebSocket, sends the parts as one message, and reads until the node closes it or 300 ms pass.</summary>
    private async Task SendOnRawSocketAsync(TestNode node, IReadOnlyList<byte[]> parts, int counted = 1)
    {
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(new UriBuilder(node.HubUrl) { Scheme = "ws" }.Uri, CancellationToken.None).Within();
        var payload = parts.SelectMany(p => p).ToArray();
        try
        {
            await socket.SendAsync(payload, WebSocketMessageType.Text, true, CancellationToken.None).Within();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
            var buffer = new byte[8192];
            while (socket.State == WebSocketState.Open)
            {
                if ((await socket.ReceiveAsync(buffer, timeout.Token)).MessageType == WebSocketMessageType.Close)
                {
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException)
        {
            // Closed at once, or kept open and ignored: either is fine, as long as nothing else suffers.
        }

        _tried += counted;
    }

    private byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        _random.NextBytes(bytes);
        return bytes;
    }
}
