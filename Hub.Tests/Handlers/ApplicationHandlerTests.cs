using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ChatApp;
using Hub.Client;
using Hub.Server.Handlers;
using Hub.Tests.Api;
using Hub.Tests.Infrastructure;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Hub.Tests.Handlers;

/// <summary>
/// Library mode: the sample chat app, with Hub inside it and its C# handler deciding, driven by
/// the official clients. The handler refuses, rewrites, sets the user and the groups, and answers
/// calls; one that throws fails that call alone.
/// </summary>
[TestFixture(Topology.InMemory)]
[TestFixture(Topology.Redis)]
public sealed class ApplicationHandlerTests(Topology topology) : ClusterTest(topology)
{
    protected override AppBuilder? App => ChatServer.Build;

    private const string AppOrigin = "http://chat.example";

    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Hub:Api:Keys:0"] = ApiClient.Key,
        ["Hub:Cors:Origins:0"] = AppOrigin,
    };

    [TestCase("mallory", "mallory is banned from this chat.")]
    [TestCase("", "Say who you are: connect with ?name=…")]
    public async Task Connect_RefusedByTheHandler_Is403AtNegotiate_WithTheReason(string name, string reason)
    {
        using var http = new HttpClient { Timeout = Bounded.Default };
        using var negotiate = new HttpRequestMessage(HttpMethod.Post, new Uri($"{NodeA.HubUrl}/negotiate?negotiateVersion=1&name={name}"));
        negotiate.Headers.Add("Origin", AppOrigin);
        using var response = await http.SendAsync(negotiate).Within();
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>().Within();

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(problem.GetProperty("detail").GetString(), Is.EqualTo(reason));
        Assert.That(response.Headers.GetValues("Access-Control-Allow-Origin"), Is.EqualTo(new[] { AppOrigin }), "a browser of the application's origin can read the reason");

        var client = Own(new TestClient(new HubClientOptions { Url = ChatUrl(NodeB, name) }));
        var refused = Assert.ThrowsAsync<HttpRequestException>(() => client.Client.StartAsync().Within());
        Assert.That(refused!.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That((await Presence(NodeB)).Connections, Is.Zero, "a refused connection is nowhere");
    }

    [Test]
    public async Task Connect_RefusedWithoutNegotiate_ClosesTheConnectionWithTheReason()
    {
        // Without a negotiate there is no HTTP answer to refuse with: the WebSocket is up when
        // the connection opens, and the refusal closes it.
        var connection = new HubConnectionBuilder()
            .WithUrl(ChatUrl(NodeA, "mallory"), o => { o.SkipNegotiation = true; o.Transports = HttpTransportType.WebSockets; })
            .Build();
        Own(new Disposing(() => connection.DisposeAsync().AsTask().Within()));
        var closed = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.Closed += error => { closed.TrySetResult(error); return Task.CompletedTask; };

        try
        {
            await connection.StartAsync().Within();
        }
        catch (HubException refused)
        {
            closed.TrySetResult(refused);
        }

        var error = await closed.Task.Within();
        Assert.That(error?.Message, Does.Contain("mallory is banned from this chat."));
        Assert.That((await Presence(NodeA)).Connections, Is.Zero, "a refused connection is nowhere");
    }

    [Test]
    public async Task Connect_TheHandlersUserAndGroups_AreTheConnections_WithPresenceAndMemberJoined()
    {
        var alice = await ChatAsync(NodeB, "alice", room: "kitchen");
        var bob = await ChatAsync(NodeA, "bob", room: "kitchen");

        var joined = await alice.Joined.WaitForAsync(e => e.Group == "kitchen" && e.ConnectionId == bob.ConnectionId, "bob joining the kitchen");
        await alice.Joined.WaitForAsync(e => e.Group == ChatHandler.Lobby && e.ConnectionId == bob.ConnectionId, "bob joining the lobby");
        var kitchen = await bob.Client.GetPresenceAsync("kitchen").Within();
        var sent = await bob.Client.SendToGroupAsync("kitchen", "anyone here?").Within();
        var received = await alice.Messages.WaitForAsync(m => m.Id == sent.Id, "bob's message to the kitchen");

        Assert.Multiple(() =>
        {
            Assert.That(joined.User, Is.EqualTo("bob"), "the user id the handler gave");
            Assert.That(kitchen.Users, Is.EquivalentTo(new[] { "alice", "bob" }));
            Assert.That(received.User, Is.EqualTo("bob"));
        });
    }

    [Test]
    public async Task Message_Refused_ReachesNoOne_AndTakesNoOffset()
    {
        var alice = await ChatAsync(NodeA, "alice");
        var bob = await ChatAsync(NodeB, "bob");

        var before = await alice.Client.SendToGroupAsync(ChatHandler.Lobby, "hello").Within();
        var refused = Assert.ThrowsAsync<HubException>(() => alice.Client.SendToGroupAsync(ChatHandler.Lobby, "cheap spam").Within());
        var after = await alice.Client.SendToGroupAsync(ChatHandler.Lobby, "bye").Within();
        await bob.Messages.WaitForAsync(m => m.Id == after.Id, "the message after the refused one");

        Assert.Multiple(() =>
        {
            Assert.That(refused!.Message, Does.EndWith("No spam, please."));
            Assert.That(after.Offset, Is.EqualTo(before.Offset + 1), "the refused message took no offset");
            Assert.That(bob.Messages.Items.Select(m => m.Text), Is.EqualTo(new[] { "hello", "bye" }));
            Assert.That(alice.Client.State, Is.EqualTo(HubConnectionState.Connected));
        });
    }

    [Test]
    public async Task Message_RewrittenByTheHandler_ArrivesAsRewritten([Values] HubProtocolKind protocol)
    {
        var alice = await ChatAsync(NodeA, "alice", protocol: protocol);
        var bob = await ChatAsync(NodeB, "bob", protocol: protocol);

        var sent = await alice.Client.PublishAsync("all", "shout", "hello there").Within();
        var received = await bob.Messages.WaitForAsync(m => m.Id == sent.Id, "the shout");

        Assert.That((received.Event, received.Text), Is.EqualTo(("message", "HELLO THERE")));
    }

    [Test]
    public async Task ApiMessages_AreNotTheHandlers_TheirCallerIsTheApplication()
    {
        var bob = await ChatAsync(NodeB, "bob");
        await using var api = new ApiClient(NodeA);

        using var response = await api.SendAsync(HttpMethod.Post, "/api/v1/groups/lobby/messages", """{ "text": "spam, from the application itself" }""");
        var sent = await response.Content.ReadFromJsonAsync<SendResult>().Within();
        var received = await bob.Messages.WaitForAsync(m => m.Id == sent!.Id, "the application's message");

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Accepted));
        Assert.That(received.Text, Is.EqualTo("spam, from the application itself"));
    }

    [Test]
    public async Task Join_RefusedByTheHandler_FailsWithTheReason_AndAllowedJoinsWork()
    {
        var bob = await ChatAsync(NodeA, "bob");
        var admin = await ChatAsync(NodeB, "admin");

        var refused = Assert.ThrowsAsync<HubException>(() => bob.Client.JoinAsync("staff-room").Within());
        await admin.Client.JoinAsync("staff-room").Within();
        await bob.Client.JoinAsync("garden").Within();
        var staff = await admin.Client.GetPresenceAsync("staff-room").Within();

        Assert.That(refused!.Message, Does.EndWith("staff-room is for staff only."));
        Assert.That(staff.Users, Is.EqualTo(new[] { "admin" }));
    }

    [Test]
    public async Task Disconnect_TheHandlerIsTold_AfterAClientLeaves()
    {
        var left = new Inbox<DisconnectContext>();
        NodeB.Services.GetRequiredService<Departures>().Left += left.Add;
        var bob = await ChatAsync(NodeB, "bob");
        var id = bob.ConnectionId;

        await bob.Client.StopAsync().Within();
        var departure = await left.WaitForAsync(d => d.ConnectionId == id, "bob's departure");

        Assert.That((departure.User, departure.Node), Is.EqualTo(("bob", NodeB.NodeId)));
    }

    [Test]
    public async Task Disconnect_TheHandlerIsTold_OfTheConnectionsADrainingNodeCloses()
    {
        var left = new Inbox<DisconnectContext>();
        NodeB.Services.GetRequiredService<Departures>().Left += left.Add;
        var bob = await ChatAsync(NodeB, "bob");
        var id = bob.ConnectionId;

        await NodeB.StopAsync();
        var departure = await left.WaitForAsync(d => d.ConnectionId == id, "bob's departure as his node stopped");

        Assert.That(departure.User, Is.EqualTo("bob"));
    }

    [Test]
    public async Task Call_IsAnsweredByTheHandler_OrRefusedWithItsReason([Values] HubProtocolKind protocol)
    {
        var bob = await ChatAsync(NodeA, "bob", protocol: protocol);

        var sum = await bob.Client.CallAsync<double>("add", new { a = 2, b = 3.5 }).Within();
        var me = await bob.Client.CallAsync<JsonElement>("whoami", null).Within();
        var badData = Assert.ThrowsAsync<HubException>(() => bob.Client.CallAsync<double>("add", "two").Within());
        var unknown = Assert.ThrowsAsync<HubException>(() => bob.Client.CallAsync<JsonElement>("nope", null).Within());

        Assert.Multiple(() =>
        {
            Assert.That(sum, Is.EqualTo(5.5));
            Assert.That(me.GetProperty("user").GetString(), Is.EqualTo("bob"));
            Assert.That(me.GetProperty("connectionId").GetString(), Is.EqualTo(bob.ConnectionId));
            Assert.That(badData!.Message, Does.EndWith("add takes { a, b }, two numbers."));
            Assert.That(unknown!.Message, Does.EndWith("There is no method 'nope'."));
        });
    }

    [Test]
    public async Task AHandlerThatThrows_FailsThatCallAlone_WithItsDetailsOnlyInTheServerLog()
    {
        var alice = await ChatAsync(NodeA, "alice");
        var bob = await ChatAsync(NodeB, "bob");

        var call = Assert.ThrowsAsync<HubException>(() => alice.Client.CallAsync<JsonElement>("crash", null).Within());
        var message = Assert.ThrowsAsync<HubException>(() => alice.Client.PublishAsync("all", "crash", "x").Within());
        using var http = new HttpClient { Timeout = Bounded.Default };
        using var negotiate = await http.PostAsync(new Uri($"{NodeA.HubUrl}/negotiate?negotiateVersion=1&name=crash"), null).Within();
        var problem = await negotiate.Content.ReadAsStringAsync().Within();

        Assert.Multiple(() =>
        {
            foreach (var error in new[] { call!.Message, message!.Message, problem })
            {
                Assert.That(error, Does.Contain("The application's handler failed (reference "));
                Assert.That(error, Does.Not.Contain("detail for the server log"));
            }

            Assert.That(negotiate.StatusCode, Is.EqualTo(HttpStatusCode.InternalServerError));
        });

        // Nothing else: the connection carries on, and so do the others.
        var sent = await alice.Client.SendAsync("still here").Within();
        await bob.Messages.WaitForAsync(m => m.Id == sent.Id, "a message after the failures");
        Assert.That(await alice.Client.CallAsync<double>("add", new { a = 1, b = 1 }).Within(), Is.EqualTo(2));
    }

    private static Uri ChatUrl(HubNode node, string name, string? room = null) =>
        new($"{node.HubUrl}?name={Uri.EscapeDataString(name)}{(room is null ? "" : $"&room={Uri.EscapeDataString(room)}")}");

    private async Task<TestClient> ChatAsync(HubNode node, string name, string? room = null, HubProtocolKind protocol = HubProtocolKind.Json)
    {
        var client = Own(new TestClient(new HubClientOptions { Url = ChatUrl(node, name, room), Protocol = protocol }));
        await client.Client.StartAsync().Within();
        return client;
    }

    private static async Task<PresenceSnapshot> Presence(HubNode node)
    {
        await using var watcher = new TestClient(new HubClientOptions { Url = ChatUrl(node, "watcher") });
        await watcher.Client.StartAsync().Within();
        var snapshot = await watcher.Client.GetPresenceAsync(ChatHandler.Lobby).Within();
        return snapshot with { Connections = snapshot.Connections - 1 };
    }

    private sealed class Disposing(Func<Task> dispose) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await dispose();
    }
}
