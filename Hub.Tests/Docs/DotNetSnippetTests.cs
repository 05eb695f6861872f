using Hub.Client;
using Hub.Tests.Auth;
using Hub.Tests.Docs.Snippets;
using Hub.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.SignalR;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Hub.Tests.Docs;

/// <summary>The documented .NET snippets, run as written against a real node (see <see cref="SnippetContext"/>).</summary>
public sealed class DotNetSnippetTests
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(30);

    [Test]
    public async Task TheFirstClient_JoinsSendsAndPrintsItsOwnMessage()
    {
        await using var node = await TestNode.StartAsync("docs", new Dictionary<string, string?>());
        using var run = SnippetRun.Start(node, enterWhen: printed => printed.Count > 0);

        await FirstClient.RunAsync().Within(RunTimeout);

        // The line the README promises on a fresh node.
        Assert.That(run.Printed, Is.EqualTo(new[] { "group:room #1 alice: hello" }));
    }

    [Test]
    public async Task TheTypedClient_SeesWhoJoins_AndReadsMessages_UntilBye()
    {
        await using var node = await TestNode.StartAsync("docs", new Dictionary<string, string?>());
        using var run = SnippetRun.Start(node);
        var snippet = TypedClient.RunAsync();
        await run.UntilPrintedAsync(p => p.Any(l => l.Contains("in the room", StringComparison.Ordinal)), "the snippet joined the room");

        await using var carol = new HubClient(new HubClientOptions { Url = new Uri(node.HubUrl, "?user=carol") });
        await carol.StartAsync().Within();
        await carol.JoinAsync("room").Within();
        // The snippet reads messages from its first read on: send until one arrives, then say bye.
        await Bounded.UntilAsync(async () =>
        {
            await carol.SendToGroupAsync("room", "hi").Within();
            await Task.Delay(100);
            return run.Printed.Any(l => l.EndsWith("carol: hi", StringComparison.Ordinal));
        }, "the snippet printed carol's message");
        await carol.SendToGroupAsync("room", "bye").Within();
        await snippet.Within(RunTimeout);

        Assert.Multiple(() =>
        {
            Assert.That(run.Printed[0], Is.EqualTo("1 in the room, which is at offset 0"));
            Assert.That(run.Printed, Does.Contain("carol joined room"));
            Assert.That(run.Printed[^1], Does.Match(@"^group:room #\d+ carol: bye$"));
        });
    }

    [Test]
    public async Task TheEventsSnippet_PublishesTypedData_AndReadsItBack_ByEvent()
    {
        await using var node = await TestNode.StartAsync("docs", new Dictionary<string, string?>());
        using var run = SnippetRun.Start(node, enterWhen: printed => printed.Count >= 2);
        await using var bob = new HubClient(new HubClientOptions { Url = new Uri(node.HubUrl, "?user=bob") });
        await bob.StartAsync().Within();
        await bob.JoinAsync("room").Within();

        await Events.RunAsync(bob).Within(RunTimeout);

        Assert.That(run.Printed, Is.EquivalentTo(new[] { "bob typing: True", "order o-17: 12.50" }));
    }

    [Test]
    public async Task TheDependencyInjectionSnippet_GivesAClient_ThatConnects()
    {
        await using var node = await TestNode.StartAsync("docs", new Dictionary<string, string?>());
        using var run = SnippetRun.Start(node);
        string? connectionId = null;

        await DependencyInjection.RunAsync(async client =>
        {
            await client.StartAsync().Within();
            connectionId = client.ConnectionId;
        }).Within(RunTimeout);

        Assert.That(connectionId, Is.Not.Null);
    }

    [Test]
    public async Task TheTokenProviderSnippet_ConnectsToANodeInJwtMode_AsTheTokensSubject()
    {
        await using var node = await TestNode.StartAsync("docs", TestTokens.NodeSettings());
        using var run = SnippetRun.Start(node);
        var tokens = new CountingTokens(TestTokens.Create("alice"));

        await using var client = new HubClient(TokenProvider.Options(tokens));
        await client.StartAsync().Within();
        var presence = await client.GetPresenceAsync().Within();

        Assert.Multiple(() =>
        {
            Assert.That(presence.Users, Is.EqualTo(new[] { "alice" }));
            Assert.That(tokens.Calls, Is.GreaterThan(0));
        });
    }

    [Test]
    public async Task TheWebhookBackendSnippet_AllowsWhatIsSignedWithItsSecret_AndRefusesTheRest()
    {
        const string Secret = "the backend's secret";
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var backend = builder.Build();
        SignedWebhooks.Map(backend, Secret);
        await backend.StartAsync().Within();
        var url = backend.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/hub-events";
        await using var node = await TestNode.StartAsync("docs", new Dictionary<string, string?> { ["Hub:Upstream:Url"] = url, ["Hub:Upstream:Secret"] = Secret });
        await using var impostor = await TestNode.StartAsync("impostor", new Dictionary<string, string?> { ["Hub:Upstream:Url"] = url, ["Hub:Upstream:Secret"] = "another secret" });

        await using var bob = new HubClient(new HubClientOptions { Url = TestClient.HubUrl(node, "bob") });
        await bob.StartAsync().Within();
        await bob.JoinAsync("room").Within();
        var staff = Assert.ThrowsAsync<HubException>(() => bob.JoinAsync("staff").Within());
        await using var unsigned = new HubClient(new HubClientOptions { Url = TestClient.HubUrl(impostor, "bob") });
        var refused = Assert.ThrowsAsync<HttpRequestException>(() => unsigned.StartAsync().Within());

        Assert.That(staff!.Message, Does.EndWith("staff is for staff only."));
        Assert.That(refused!.StatusCode, Is.EqualTo(System.Net.HttpStatusCode.Forbidden), "the backend refused what another secret signed");
    }

    private sealed class CountingTokens(string token) : ITokenSource
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public Task<string?> GetFreshTokenAsync()
        {
            Interlocked.Increment(ref _calls);
            return Task.FromResult<string?>(token);
        }
    }
}
