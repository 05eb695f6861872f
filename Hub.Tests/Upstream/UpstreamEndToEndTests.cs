using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hub.Client;
using Hub.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.SignalR;

namespace Hub.Tests.Upstream;

/// <summary>
/// Service mode end to end: stand-alone nodes whose handler is a real backend over HTTP, driven by
/// the official .NET client, on one in-memory node and on two nodes sharing Redis.
/// </summary>
[TestFixture(Topology.InMemory)]
[TestFixture(Topology.Redis)]
public sealed class UpstreamEndToEndTests(Topology topology) : ClusterTest(topology)
{
    private const string Secret = "end-to-end secret";

    private WebhookBackend _backend = null!;

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Hub:Upstream:Url"] = _backend.Url.ToString(),
        ["Hub:Upstream:Secret"] = Secret,
        ["Hub:Upstream:TimeoutSeconds"] = "2",
    };

    [OneTimeSetUp]
    public async Task StartBackend() => _backend = await WebhookBackend.StartAsync(Secret).Within();

    [OneTimeTearDown]
    public async Task StopBackend() => await _backend.DisposeAsync().AsTask().Within();

    [SetUp]
    public void ResetBackend() => _backend.Reset();

    [Test]
    public async Task Connect_RefusedByTheBackend_Is403AtNegotiate_WithItsDetail()
    {
        _backend.On("connect", r => r.Json.GetProperty("user").GetString() == "mallory"
            ? Results.Problem(statusCode: 403, detail: "mallory is banned.")
            : Results.Ok());

        using var http = new HttpClient { Timeout = Bounded.Default };
        using var response = await http.PostAsync(new Uri($"{NodeA.HubUrl}/negotiate?negotiateVersion=1&user=mallory"), null).Within();
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>().Within();
        await using var client = new TestClient(new HubClientOptions { Url = TestClient.HubUrl(NodeB, "mallory") });
        var refused = Assert.ThrowsAsync<HttpRequestException>(() => client.Client.StartAsync().Within());

        Assert.Multiple(() =>
        {
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(problem.GetProperty("detail").GetString(), Is.EqualTo("mallory is banned."));
            Assert.That(refused!.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
            Assert.That(_backend.Of("connect").Select(r => r.SignatureValid), Is.All.True);
        });
    }

    [Test]
    public async Task Connect_TheBackendsUserAndGroups_AreTheConnections()
    {
        _backend.On("connect", r => Results.Json(new { user = "verified-" + r.Json.GetProperty("user").GetString(), groups = new[] { "room-1" } }));

        var alice = await ConnectAsync(NodeB, "alice");
        var room = await alice.Client.GetPresenceAsync("room-1").Within();

        Assert.That(room.Users, Is.EqualTo(new[] { "verified-alice" }));
    }

    [Test]
    public async Task Message_RefusedByTheBackend_ReachesNoOne_AndTakesNoOffset()
    {
        _backend.On("message", r => r.Json.GetProperty("data").GetString() == "spam"
            ? Results.Problem(statusCode: 422, detail: "No spam, please.")
            : Results.Ok());
        var alice = await ConnectAsync(NodeA, "alice");
        var bob = await ConnectAsync(NodeB, "bob");

        var before = await alice.Client.SendAsync("hello").Within();
        var refused = Assert.ThrowsAsync<HubException>(() => alice.Client.SendAsync("spam").Within());
        var after = await alice.Client.SendAsync("bye").Within();
        await bob.Messages.WaitForAsync(m => m.Id == after.Id, "the message after the refused one");

        Assert.Multiple(() =>
        {
            Assert.That(refused!.Message, Does.EndWith("No spam, please."));
            Assert.That(after.Offset, Is.EqualTo(before.Offset + 1), "the refused message took no offset");
            Assert.That(bob.Messages.Items.Select(m => m.Text), Is.EqualTo(new[] { "hello", "bye" }));
        });
    }

    [Test]
    public async Task Message_WhileTheBackendFails_IsRefusedAsUnavailable_AndTheConnectionCarriesOn()
    {
        var alice = await ConnectAsync(NodeA, "alice");
        _backend.On("message", _ => Results.StatusCode(503));

        var refused = Assert.ThrowsAsync<HubException>(() => alice.Client.SendAsync("hello").Within());
        _backend.On("message", _ => Results.Ok());
        var sent = await alice.Client.SendAsync("hello again").Within();

        Assert.That(refused!.Message, Does.EndWith("upstream unavailable"));
        Assert.That(sent.Id, Is.Not.Empty);
    }

    [Test]
    public async Task Call_IsAnsweredByTheBackend_OrRefusedWithItsDetail()
    {
        _backend.On("call", r => r.Json.GetProperty("method").GetString() == "add"
            ? Results.Json(r.Json.GetProperty("data").GetProperty("a").GetDouble() + r.Json.GetProperty("data").GetProperty("b").GetDouble())
            : Results.Problem(statusCode: 404, detail: $"There is no method '{r.Json.GetProperty("method").GetString()}'."));
        var bob = await ConnectAsync(NodeB, "bob");

        var sum = await bob.Client.CallAsync<double>("add", new { a = 2, b = 3.5 }).Within();
        var unknown = Assert.ThrowsAsync<HubException>(() => bob.Client.CallAsync<JsonElement>("nope", null).Within());

        Assert.That(sum, Is.EqualTo(5.5));
        Assert.That(unknown!.Message, Does.EndWith("There is no method 'nope'."));
    }

    [Test]
    public async Task Disconnect_ReachesTheBackend_AfterAClientLeavesANode()
    {
        var bob = await ConnectAsync(NodeB, "bob");
        var id = bob.ConnectionId;

        await bob.Client.StopAsync().Within();
        await Bounded.UntilAsync(() => Task.FromResult(_backend.Of("disconnect").Any(r => r.Json.GetProperty("connectionId").GetString() == id)), "the backend got bob's disconnect");
        var disconnect = _backend.Of("disconnect").Single(r => r.Json.GetProperty("connectionId").GetString() == id);

        Assert.That(disconnect.Json.GetProperty("user").GetString(), Is.EqualTo("bob"));
        Assert.That(disconnect.Json.GetProperty("node").GetString(), Is.EqualTo(NodeB.NodeId));
        Assert.That(disconnect.SignatureValid);
    }

    [Test]
    public async Task Disconnects_OfANodeThatStops_StillReachTheBackend()
    {
        var node = await StartNodeAsync("node-c");
        var clients = new List<TestClient>();
        try
        {
            for (var i = 0; i < 3; i++)
            {
                clients.Add(await ConnectAsync(node, $"user-{i}"));
            }

            var ids = clients.Select(c => c.ConnectionId).ToList();

            // A drain closes every connection, then the node stops: their disconnects go out before it is gone.
            await node.StopAsync();
            var told = _backend.Of("disconnect").Select(r => r.Json.GetProperty("connectionId").GetString()).ToList();

            Assert.That(told, Is.SupersetOf(ids));
        }
        finally
        {
            await node.DisposeAsync();
        }
    }
}
