using System.Text.RegularExpressions;
using Hub.Tests.Infrastructure;
using static Microsoft.Playwright.Assertions;

namespace Hub.Tests.Browser;

/// <summary>The demo page at / in Chromium, on the browser client the node serves itself.</summary>
[TestFixture(Topology.InMemory)]
[TestFixture(Topology.Redis)]
public sealed class DemoPageTests(Topology topology) : BrowserTest(topology)
{
    [Test]
    public async Task Page_FromANode_ConnectsWithTheBundledClient_AndShowsThatNode()
    {
        var page = await OpenAsync(NodeB);

        await page.ConnectAsync("alice");

        await Expect(page.Node).ToHaveTextAsync(NodeB.NodeId);
        await Expect(page.State).ToHaveTextAsync("connected");
        Assert.That(await page.Page.EvaluateAsync<string>("signalR.VERSION").Within(), Is.EqualTo("10.0.11"));
        Assert.That(page.Errors, Is.Empty);
    }

    [Test]
    public async Task TwoPeople_OnTwoNodes_ChatInAGroup_AndSeeEachOtherOnline()
    {
        var alice = await OpenAsync(NodeA);
        await alice.ConnectAsync("alice");
        var bob = await OpenAsync(NodeB);
        await bob.ConnectAsync("bob", "messagepack");
        await alice.JoinAsync("room");
        await bob.JoinAsync("room");

        await alice.ExpectPresenceAsync("alice", "bob");
        await bob.ExpectPresenceAsync("alice", "bob");

        await alice.SendAsync("Hi Bob, which node are you on?");
        var atBob = await bob.WaitForMessageAsync("Hi Bob, which node are you on?");
        await bob.SendAsync($"Hi Alice, {NodeB.NodeId}.");
        var atAlice = await alice.WaitForMessageAsync($"Hi Alice, {NodeB.NodeId}.");
        await alice.WaitForMessageAsync("Hi Bob, which node are you on?");

        Assert.Multiple(() =>
        {
            Assert.That((atBob.Stream, atBob.User), Is.EqualTo(("group:room", "alice")));
            Assert.That((atAlice.Stream, atAlice.User), Is.EqualTo(("group:room", "bob")));
            // Typing events between the two messages take offsets of the stream too.
            Assert.That(atAlice.Offset, Is.GreaterThan(atBob.Offset), "one stream, one order, across both nodes");
        });
        await Expect(alice.Node).ToHaveTextAsync(NodeA.NodeId);
        await Expect(bob.Node).ToHaveTextAsync(NodeB.NodeId);
        if (Topology == Topology.Redis)
        {
            // The README shows this state of the page (docs/demo-page.png).
            await alice.Page.ScreenshotAsync(new() { Path = Path.Combine(RepoPaths.TestResults, "demo-page.png") }).Within();
        }

        await bob.LeaveAsync("room");
        await alice.ExpectPresenceAsync("alice");
        Assert.That(alice.Errors.Concat(bob.Errors), Is.Empty);
    }

    [Test]
    public async Task WhileSomeoneTypes_TheOthersInTheRoom_SeeItOnAnotherNode_UntilTheMessageIsSent()
    {
        var alice = await OpenAsync(NodeA);
        await alice.ConnectAsync("alice");
        var bob = await OpenAsync(NodeB);
        await bob.ConnectAsync("bob", "messagepack");
        var carol = await OpenAsync(NodeB);
        await carol.ConnectAsync("carol");
        await alice.JoinAsync("room");
        await bob.JoinAsync("room");

        await alice.Page.Locator("#text").PressSequentiallyAsync("Hel");

        await Expect(bob.Page.Locator("#typing")).ToHaveTextAsync("alice is typing…");
        await bob.Page.ScreenshotAsync(new() { Path = Path.Combine(RepoPaths.TestResults, "demo-page-typing.png") }).Within();
        await alice.SendAsync("Hello");
        await bob.WaitForMessageAsync("Hello");
        await Expect(bob.Page.Locator("#typing")).ToBeEmptyAsync();
        var sender = await ConnectAsync(NodeA, "dave");
        await sender.Client.SendAsync("for everyone").Within();
        await bob.WaitForMessageAsync("for everyone");
        await carol.WaitForMessageAsync("for everyone");
        await sender.Client.PublishAsync("all", "order", new { id = "o-1", total = 2.5 }).Within();
        await bob.WaitForMessageAsync("""{"id":"o-1","total":2.5}""");
        await Expect(bob.Page.Locator("#messages li.message .stream").Last).ToHaveTextAsync("everyone · order");
        var aliceSees = await alice.Page.EvaluateAsync<string[]>("window.hubDemo.typing").Within();
        var bobsEvents = await bob.Page.EvaluateAsync<string[]>("window.hubDemo.messages.map(m => m.event)").Within();
        var carolSees = await carol.Page.EvaluateAsync<string[]>("window.hubDemo.typing").Within();
        Assert.Multiple(() =>
        {
            Assert.That(aliceSees, Is.Empty, "no one sees themselves typing");
            Assert.That(bobsEvents, Is.EqualTo(new[] { "message", "message", "order" }), "typing events are no chat messages; other events show their data");
            Assert.That(carolSees, Is.Empty, "typing in a room is for its members");
        });
        Assert.That(alice.Errors.Concat(bob.Errors).Concat(carol.Errors), Is.Empty);
    }

    [Test]
    public async Task AfterItsNodeRestarts_ThePageShowsReconnecting_ThenReconnected_AndIsBackInItsGroup()
    {
        var page = await OpenAsync(NodeB, "?user=frank");
        await page.ExpectStateAsync("connected");
        await page.JoinAsync("room");
        var port = NodeB.BaseUrl.Port;

        await NodeB.StopAsync();
        await page.ExpectStateAsync("reconnecting");
        var restarted = Own(await StartNodeAsync("node-b", port));
        await page.ExpectStateAsync("reconnected");

        var sender = await ConnectAsync(Topology == Topology.Redis ? NodeA : restarted, "grace");
        var sent = await sender.Client.SendToGroupAsync("room", "after the restart").Within();
        var message = await page.WaitForMessageAsync("after the restart");
        Assert.That(message.Id, Is.EqualTo(sent.Id));
        await page.ExpectPresenceAsync("frank");
        await Expect(page.Node).ToHaveTextAsync("node-b");
    }

    [Test]
    public async Task WhenItsNodeIsDownAtConnect_ThePageRetriesWithBackoff_AndConnectsOnceTheNodeIsUp()
    {
        // The page was loaded while the node was up; the person presses Connect after it went down.
        var page = await OpenAsync(NodeB);
        var port = NodeB.BaseUrl.Port;
        await NodeB.StopAsync();

        await page.Page.Locator("#user").FillAsync("ivan");
        await page.Page.Locator("#connect").ClickAsync();

        // A second retry announced: the first one failed too, and the page did not give up.
        await Expect(page.State).ToHaveTextAsync(new Regex(@"^connecting \(retry [2-9] in \d+ s\)$"));
        await page.ExpectStateAsync("connecting");
        var restarted = Own(await StartNodeAsync("node-b", port));
        // Bounded by the backoff: the next try is due within about 5 s of the node's return.
        await Expect(page.State).ToHaveAttributeAsync("data-state", "connected", new() { Timeout = 30_000 });

        await Expect(page.State).ToHaveTextAsync("connected");
        await Expect(page.Page.Locator("#error")).ToBeHiddenAsync();
        await page.SendAsync("back at last");
        await page.WaitForMessageAsync("back at last");
        await Expect(page.Node).ToHaveTextAsync(restarted.NodeId);
    }

    [Test]
    public async Task Disconnect_WhileAFirstConnectIsRetried_StopsTheTries()
    {
        var page = await OpenAsync(NodeB);
        await NodeB.StopAsync();
        await page.Page.Locator("#user").FillAsync("judy");
        await page.Page.Locator("#connect").ClickAsync();
        await Expect(page.State).ToHaveTextAsync(new Regex(@"^connecting \(retry 1 in \d+ s\)$"));

        await page.Page.Locator("#disconnect").ClickAsync();
        await page.ExpectStateAsync("disconnected");
        var tries = 0;
        page.Page.Request += (_, request) =>
        {
            if (new Uri(request.Url).AbsolutePath == "/hub/negotiate")
            {
                Interlocked.Increment(ref tries);
            }
        };
        // Longer than the first retry's delay (1 s, give or take a fifth) with time to spare.
        await Task.Delay(TimeSpan.FromSeconds(2.5));

        Assert.That(tries, Is.Zero, "tries after Disconnect");
        await Expect(page.State).ToHaveTextAsync("disconnected");
        await Expect(page.Page.Locator("#connect")).ToBeEnabledAsync();
    }

    [Test]
    public async Task AUserWithTwoConnections_IsShownJoiningOnce_AndLeavingOnlyWithTheLastOne()
    {
        var page = await OpenAsync(NodeB, "?user=alice");
        await page.ExpectStateAsync("connected");
        await page.JoinAsync("room");
        var bobOnA = await ConnectAsync(NodeA, "bob");
        var bobOnB = await ConnectAsync(NodeB, "bob");
        var carol = await ConnectAsync(NodeA, "carol");

        await bobOnA.Client.JoinAsync("room").Within();
        await Expect(page.Notes("bob joined #room")).ToHaveCountAsync(1);
        await bobOnB.Client.JoinAsync("room").Within();
        // The page takes events in the order they came: once it showed carol's, it had taken bob's second.
        await carol.Client.JoinAsync("room").Within();
        await Expect(page.Notes("carol joined #room")).ToHaveCountAsync(1);
        await Expect(page.Notes("bob joined #room")).ToHaveCountAsync(1);

        // One of bob's connections goes away (as when its node dies); the other is still in the room.
        // Once carol, in the room too, got its MemberLeft, hers comes after it on every node.
        var bobsConnection = bobOnA.ConnectionId;
        await bobOnA.Client.StopAsync().Within();
        await carol.Left.WaitForAsync(e => e.ConnectionId == bobsConnection, "MemberLeft of bob's first connection");
        await carol.Client.LeaveAsync("room").Within();
        await Expect(page.Notes("carol left #room")).ToHaveCountAsync(1);
        await Expect(page.Notes("bob left #room")).ToHaveCountAsync(0);
        await page.ExpectPresenceAsync("alice", "bob");

        await bobOnB.Client.LeaveAsync("room").Within();
        await Expect(page.Notes("bob left #room")).ToHaveCountAsync(1);
        await page.ExpectPresenceAsync("alice");
        Assert.That(page.Errors, Is.Empty);
    }

    [TestCase("json", false)]
    [TestCase("messagepack", true)]
    public async Task ProtocolOption_IsTheProtocolOnTheWire(string protocol, bool sentAtIsDate)
    {
        var page = await OpenAsync(NodeA, $"?user=carol&protocol={protocol}");
        await page.ExpectStateAsync("connected");

        await page.SendAsync($"over {protocol}");

        var message = await page.WaitForMessageAsync($"over {protocol}");
        Assert.Multiple(() =>
        {
            Assert.That((message.Stream, message.User), Is.EqualTo(("all", "carol")));
            // Only the MessagePack protocol turns sentAt into a Date (the timestamp extension); JSON leaves a string.
            Assert.That(message.SentAtIsDate, Is.EqualTo(sentAtIsDate));
        });
    }

    [TestCase("websockets")]
    [TestCase("sse")]
    [TestCase("longpolling")]
    public async Task Broadcast_FromADotNetClient_ReachesThePage(string transport)
    {
        var page = await OpenAsync(NodeB, $"?user=dana&transport={transport}");
        await page.ExpectStateAsync("connected");
        var service = await ConnectAsync(NodeA, "service");

        var sent = await service.Client.SendAsync("from .NET").Within();

        var message = await page.WaitForMessageAsync("from .NET");
        Assert.Multiple(() =>
        {
            Assert.That((message.Id, message.Stream, message.User, message.From), Is.EqualTo((sent.Id, "all", "service", service.ConnectionId)));
            Assert.That(page.Transports, Is.EqualTo(new[] { transport }));
        });
    }

    [Test]
    public async Task Message_WithMarkup_IsShownAsText()
    {
        const string markup = "<img src=x onerror=\"window.injected = true\"><b>bold</b>";
        var page = await OpenAsync(NodeA, "?user=eve");
        await page.ExpectStateAsync("connected");

        await page.SendAsync(markup);

        await page.WaitForMessageAsync(markup);
        await Expect(page.Page.Locator("#messages img, #messages b")).ToHaveCountAsync(0);
        Assert.That(await page.Page.EvaluateAsync<bool>("window.injected === true").Within(), Is.False);
    }

    private async Task<DemoPage> OpenAsync(TestNode node, string query = "") => await DemoPage.OpenAsync(await NewPageAsync(), node, query);
}
