using Hub.Client;
using Hub.Tests.Infrastructure;

namespace Hub.Tests.Auth;

/// <summary>
/// Hub:Auth:Mode=Jwt: the token names the user, on every node, for as long as it is valid; and
/// the same for WebSockets served directly.
/// </summary>
[TestFixture(Topology.InMemory, false)]
[TestFixture(Topology.Redis, false)]
[TestFixture(Topology.InMemory, true)]
public sealed class JwtAuthTests(Topology topology, bool direct) : JwtClusterTest(topology)
{
    protected override IReadOnlyDictionary<string, string?> Settings =>
        new Dictionary<string, string?>(base.Settings) { ["Hub:WebSockets:Direct"] = direct.ToString() };

    [Test]
    public async Task TheUserIdIsTheTokenSubject_OnEveryNode_AndTheUserQueryParameterIsIgnored()
    {
        var alice = await ConnectWithTokenAsync(NodeA, TestTokens.Create("alice"), userQuery: "mallory");
        var bob = await ConnectWithTokenAsync(NodeB, TestTokens.Create("bob"));

        var result = await alice.Client.SendToUserAsync("bob", "hi bob").Within();

        var message = await bob.Messages.WaitForAsync(m => m.Id == result.Id, "the user message from alice");
        Assert.Multiple(() =>
        {
            Assert.That(message.Stream, Is.EqualTo("user:bob"));
            Assert.That(message.User, Is.EqualTo("alice"));
        });
        var presence = await bob.Client.GetPresenceAsync().Within();
        Assert.That(presence.Users, Is.EquivalentTo(new[] { "alice", "bob" }));
    }

    [Test]
    public async Task WithoutRestrictGroups_TheGroupsClaimIsIgnored()
    {
        var alice = await ConnectWithTokenAsync(NodeA, TestTokens.Create("alice", groups: new[] { "room" }));

        var joined = await alice.Client.JoinAsync("elsewhere").Within();
        var sent = await alice.Client.SendToGroupAsync("elsewhere", "not in my claim").Within();

        Assert.That(joined.Group, Is.EqualTo("elsewhere"));
        await alice.Messages.WaitForAsync(m => m.Id == sent.Id, "the message to a group outside the claim");
    }

    [Test]
    public async Task WhenTheTokenExpires_TheServerClosesTheConnection_AndTheClientComesBackWithAFreshToken()
    {
        // The client asks for a token at negotiate and again at connect: each expires soon, until it is connected.
        var tokens = new ExpiringTokens("alice");
        var alice = NewClient(NodeA, tokens.NextAsync);
        await tokens.OutliveAsync(alice);

        var sender = await ConnectWithTokenAsync(NodeB, TestTokens.Create("bob"));
        var result = await sender.Client.SendToUserAsync("alice", "still reachable").Within();
        await alice.Messages.WaitForAsync(m => m.Id == result.Id, "a message to alice after the reconnect");
        Assert.That(alice.Client.State, Is.EqualTo(Microsoft.AspNetCore.SignalR.Client.HubConnectionState.Connected));
    }
}
