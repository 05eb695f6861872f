using System.Text.Json;
using Hub.Client;
using Hub.Tests.Browser;
using Hub.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Hub.Tests.Deploy;

/// <summary>
/// The docker-compose topology from processes, as deploy/local-cluster.sh starts it: a real
/// redis-server, three Hub nodes in their own processes and nginx with deploy/nginx.conf in front.
/// Every request of these tests goes through nginx.
/// </summary>
public sealed class LoadBalancerTests
{
    private LocalCluster _cluster = null!;
    private BrowserPages _pages = null!;
    private readonly List<IAsyncDisposable> _clients = [];

    private Uri HubUrl => new(_cluster.Url, "/hub");

    // The API reference on, so that the nodes serve every path the balancer must keep to itself.
    [OneTimeSetUp]
    public async Task StartCluster() => _cluster = await LocalCluster.UpAsync(new Dictionary<string, string> { ["Hub__Api__Docs"] = "true" });

    [OneTimeTearDown]
    public async Task StopCluster()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }

    [SetUp]
    public void OpenBrowser() => _pages = new BrowserPages();

    [TearDown]
    public async Task CloseAll()
    {
        await _pages.ScreenshotIfFailedAsync();
        await _pages.DisposeAsync();
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }

        _clients.Clear();
    }

    [Test]
    public async Task TwoPeople_OnDifferentNodes_BehindTheBalancer_ChatInAGroup_AndSeeEachOtherOnline()
    {
        var alice = await OpenAsync("?user=alice");
        await alice.ExpectStateAsync("connected");
        var aliceNode = await NodeOfAsync(alice);
        var bob = await OpenOnAnotherNodeAsync(aliceNode);
        await bob.ConnectAsync("bob", "messagepack");
        await alice.JoinAsync("room");
        await bob.JoinAsync("room");

        await alice.ExpectPresenceAsync("alice", "bob");
        await bob.ExpectPresenceAsync("alice", "bob");
        await alice.SendAsync("Hi Bob, I am on " + aliceNode);
        await bob.WaitForMessageAsync("Hi Bob, I am on " + aliceNode);
        var bobNode = await NodeOfAsync(bob);
        await bob.SendAsync("Hi Alice, I am on " + bobNode);
        await alice.WaitForMessageAsync("Hi Alice, I am on " + bobNode);

        Assert.That(bobNode, Is.Not.EqualTo(aliceNode), "the pages hold their connections on different nodes");
        Assert.That(alice.Errors.Concat(bob.Errors), Is.Empty);
        // docs/deployment.md shows this page: the cluster through nginx.
        await alice.Page.ScreenshotAsync(new() { Path = Path.Combine(RepoPaths.TestResults, "demo-page-cluster.png") }).Within();
    }

    // SignalR carries MessagePack over WebSockets and Long Polling only: Server-Sent Events are text.
    [TestCase("websockets", "json", "WebSocketTransport")]
    [TestCase("websockets", "messagepack", "WebSocketTransport")]
    [TestCase("sse", "json", "ServerSentEventsTransport")]
    [TestCase("longpolling", "json", "LongPollingTransport")]
    [TestCase("longpolling", "messagepack", "LongPollingTransport")]
    public async Task OfficialJsClients_ThroughTheBalancer_TalkInAGroup(string transport, string protocol, string transportClass)
    {
        // Six clients with their own cookies land on the three nodes by chance; without affinity
        // the requests after negotiate would miss their node two times in three.
        var result = await RunJsClientsAsync(transport, protocol, 6);

        Assert.Multiple(() =>
        {
            Assert.That(result.GetProperty("receivedBy").GetInt32(), Is.EqualTo(6), "every client received the group message");
            Assert.That(result.GetProperty("transports").EnumerateArray().Select(t => t.GetString()), Is.EqualTo(new[] { transportClass }));
            Assert.That(result.GetProperty("presence").GetProperty("connections").GetInt64(), Is.EqualTo(6));
        });
    }

    [Test]
    public async Task WebSockets_WithSkipNegotiation_NeedNoAffinity()
    {
        // No negotiate, no cookie: each connection is one request and nginx spreads them at random.
        var result = await RunJsClientsAsync("websockets", "json", 12, "skipNegotiation");

        var nodes = result.GetProperty("presence").GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("id").GetString()).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(result.GetProperty("receivedBy").GetInt32(), Is.EqualTo(12));
            // Twelve connections on one node of three by chance: 3 in 3^12.
            Assert.That(nodes, Has.Count.GreaterThan(1), "the connections were spread over the nodes");
        });
    }

    [Test]
    public async Task WebSockets_ThroughTheBalancer_AreServedDirectly_AfterNegotiate()
    {
        // nginx keeps the connections of negotiate (and of every plain request) open for reuse. A
        // WebSocket upgrade sent on one of them is a second request on that connection: the node
        // then serves it through SignalR's transport (HTTP, a WebSocket object, more than twice the
        // memory) instead of directly, which looks only at a connection's first request. Kestrel
        // counts the WebSockets it upgraded through HTTP; the direct ones it never sees as HTTP.
        const int Clients = 12;
        for (var i = 0; i < Clients; i++)
        {
            await ConnectAsync($"pooled{i}");
        }

        var counts = new Dictionary<string, long>();
        await Bounded.UntilAsync(async () =>
        {
            counts = await ScrapeNodesAsync("hub_connections", "kestrel_upgraded_connections");
            return counts["hub_connections"] >= Clients;
        }, "the nodes count the clients' connections");

        Assert.That(counts["kestrel_upgraded_connections"], Is.Zero, "WebSockets that went through HTTP's upgrade instead of the direct path");
    }

    // The nodes route without regard to case or a trailing slash: each spelling they serve must be closed.
    [TestCase("/metrics")]
    [TestCase("/METRICS")]
    [TestCase("/metrics/")]
    [TestCase("/openapi/v1.json")]
    [TestCase("/OpenAPI/v1.json")]
    [TestCase("/docs")]
    [TestCase("/DOCS/")]
    [TestCase("/docs/scalar.js")]
    public async Task OperatorPaths_AreNotFound_ThroughTheBalancer_WhileEveryNodeServesThemOnItsOwnPort(string path)
    {
        using var http = new HttpClient { Timeout = Bounded.Default };
        foreach (var port in _cluster.NodePorts)
        {
            using var direct = await http.GetAsync($"http://127.0.0.1:{port}{path}").Within();
            Assert.That(direct.StatusCode, Is.EqualTo(System.Net.HttpStatusCode.OK), $"GET {path} on the node at port {port}, as Prometheus scrapes it");
        }

        using var balanced = await http.GetAsync(new Uri(_cluster.Url, path)).Within();

        Assert.That(balanced.StatusCode, Is.EqualTo(System.Net.HttpStatusCode.NotFound), $"GET {path} through nginx");
    }

    [Test]
    public async Task AWebSocket_WhoseCookieLeadsToAnotherNode_GoesOnToTheNodeThatNegotiatedIt()
    {
        // WebSockets and the other requests go to two groups of the same nodes, which count
        // failures apart: for a moment they may disagree on where a cookie leads. Two cookies
        // that lead to different nodes make that disagreement here: negotiate with one, the
        // WebSocket with the other. The node the WebSocket reaches first does not know the id
        // (404), and nginx goes on to the next until it finds the one that does.
        // Cookies by hand only: the client's own container would add nginx's.
        using var http = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = _cluster.Url };
        var negotiateCookie = $"hub_node=n-{Guid.NewGuid():N}";
        var negotiateNode = await NodeForCookieAsync(http, negotiateCookie);
        string? otherCookie = null;
        for (var attempt = 0; attempt < 20 && otherCookie is null; attempt++)
        {
            var cookie = $"hub_node=w-{Guid.NewGuid():N}";
            otherCookie = await NodeForCookieAsync(http, cookie) != negotiateNode ? cookie : null;
        }

        Assert.That(otherCookie, Is.Not.Null, "twenty random cookies all led to the negotiating node");
        using var negotiate = new HttpRequestMessage(HttpMethod.Post, "/hub/negotiate?negotiateVersion=1");
        negotiate.Headers.Add("Cookie", negotiateCookie);
        using var response = await http.SendAsync(negotiate).Within();
        response.EnsureSuccessStatusCode();
        var token = JsonDocument.Parse(await response.Content.ReadAsStringAsync().Within()).RootElement.GetProperty("connectionToken").GetString();

        using var socket = new System.Net.WebSockets.ClientWebSocket();
        socket.Options.SetRequestHeader("Cookie", otherCookie);
        await socket.ConnectAsync(new Uri($"ws://{_cluster.Url.Authority}/hub?id={Uri.EscapeDataString(token!)}"), CancellationToken.None).Within();
        await socket.SendAsync("{\"protocol\":\"json\",\"version\":1}\u001e"u8.ToArray(), System.Net.WebSockets.WebSocketMessageType.Text, true, CancellationToken.None).Within();
        var buffer = new byte[256];
        var received = await socket.ReceiveAsync(buffer, CancellationToken.None).Within();

        Assert.That(System.Text.Encoding.UTF8.GetString(buffer, 0, received.Count), Is.EqualTo("{}\u001e"), "the handshake answer of the node that negotiated the id");
    }

    [Test]
    public async Task ThePage_WhoseNodeDies_ReconnectsThroughTheBalancer_ToALiveNode()
    {
        var page = await OpenAsync("?user=frank");
        await page.ExpectStateAsync("connected");
        await page.JoinAsync("lobby");
        var before = await NodeOfAsync(page);

        // The page may be back before a poll of its state would see "reconnecting": record every state.
        await page.Page.EvaluateAsync(
            "() => { const s = document.getElementById('state'); window.seenStates = [];" +
            " new MutationObserver(() => window.seenStates.push(s.dataset.state)).observe(s, { attributes: true }); }").Within();
        try
        {
            _cluster.Kill(before);
            await page.ExpectStateAsync("reconnected");
            var after = await NodeOfAsync(page);
            var states = await page.Page.EvaluateAsync<string[]>("window.seenStates").Within();
            Assert.That(states, Is.EqualTo(new[] { "reconnecting", "reconnected" }));
            Assert.That(after, Is.Not.EqualTo(before));

            var sender = await ConnectAsync("grace");
            var sent = await sender.Client.SendToGroupAsync("lobby", "after the node died").Within();
            var message = await page.WaitForMessageAsync("after the node died");
            Assert.That(message.Id, Is.EqualTo(sent.Id));
            await page.ExpectPresenceAsync("frank");
        }
        finally
        {
            // "up" starts again only what is not running: the node that was killed.
            await _cluster.RunAsync("up");
        }
    }

    private async Task<DemoPage> OpenAsync(string query = "") =>
        await DemoPage.OpenAsync(await _pages.NewPageAsync(), _cluster.Url, "nginx", query);

    /// <summary>The node the page's cookie leads to: each try is a new browser context, with a cookie of its own.</summary>
    private async Task<DemoPage> OpenOnAnotherNodeAsync(string node)
    {
        // One in three lands on the same node: twelve tries all do so one time in half a million.
        for (var attempt = 0; attempt < 12; attempt++)
        {
            var page = await OpenAsync();
            if (await page.Page.EvaluateAsync<string>("fetch('node').then(r => r.json()).then(b => b.node)").Within() != node)
            {
                return page;
            }
        }

        Assert.Fail($"Twelve browser contexts were all sent to {node}: nginx does not spread new clients.");
        return null!;
    }

    private static async Task<string> NodeOfAsync(DemoPage page)
    {
        await Expect(page.Node).Not.ToBeEmptyAsync();
        return await page.Node.TextContentAsync().Within() ?? "";
    }

    private async Task<TestClient> ConnectAsync(string user)
    {
        var client = new TestClient(new HubClientOptions { Url = new Uri($"{HubUrl}?user={user}") });
        _clients.Add(client);
        await client.Client.StartAsync().Within();
        return client;
    }

    private static async Task<string> NodeForCookieAsync(HttpClient http, string cookie)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/node");
        request.Headers.Add("Cookie", cookie);
        using var response = await http.SendAsync(request).Within();
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync().Within()).RootElement.GetProperty("node").GetString()!;
    }

    /// <summary>Each metric summed over its series and over the nodes, read from each node's /metrics directly.</summary>
    private async Task<Dictionary<string, long>> ScrapeNodesAsync(params string[] metrics)
    {
        var sums = metrics.ToDictionary(m => m, _ => 0L);
        using var http = new HttpClient();
        foreach (var port in _cluster.NodePorts)
        {
            var text = await http.GetStringAsync($"http://127.0.0.1:{port}/metrics").Within();
            foreach (var line in text.Split('\n'))
            {
                var name = line.Split('{', ' ')[0];
                if (sums.ContainsKey(name))
                {
                    sums[name] += long.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
                }
            }
        }

        return sums;
    }

    private async Task<JsonElement> RunJsClientsAsync(string transport, string protocol, int clients, string skipNegotiation = "")
    {
        var room = $"room-{Guid.NewGuid():N}";
        var output = await NodeScript.RunAsync("balancer.mjs", HubUrl.ToString(), transport, protocol, clients.ToString(), room, skipNegotiation);
        return JsonDocument.Parse(output).RootElement.Clone();
    }
}
