using Hub.Client;
using Hub.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR;

namespace Hub.Tests.Auth;

/// <summary>Hub:Auth:RestrictGroups: a connection uses only the groups its token's <c>groups</c> claim lists.</summary>
[TestFixture(Topology.InMemory)]
[TestFixture(Topology.Redis)]
public sealed class RestrictGroupsTests(Topology topology) : JwtClusterTest(topology)
{
    protected override IReadOnlyDictionary<string, string?> Settings => new Dictionary<string, string?>(base.Settings)
    {
        ["Hub:Auth:RestrictGroups"] = "true",
    };

    // SignalR prefixes the method's failure; "HubException:" shows that the refusal went through
    // the hub's error filter like every other bad call.
    private static string Refusal(string group) =>
        $"HubException: The token does not allow group '{group}': its 'groups' claim does not list it (Hub:Auth:RestrictGroups is on).";

    [Test]
    public async Task AGroupOutsideTheClaim_CannotBeJoinedOrSentTo_WhileListedGroupsWork_OnEveryNode()
    {
        var alice = await ConnectWithTokenAsync(NodeA, TestTokens.Create("alice", groups: new[] { "room", "lobby" }));
        var bob = await ConnectWithTokenAsync(NodeB, TestTokens.Create("bob", groups: new[] { "room" }));

        var join = Assert.ThrowsAsync<HubException>(() => alice.Client.JoinAsync("secret").Within());
        var send = Assert.ThrowsAsync<HubException>(() => alice.Client.SendToGroupAsync("secret", "let me in").Within());
        var publish = Assert.ThrowsAsync<HubException>(() => alice.Client.PublishAsync("group:secret", "knock", new { twice = true }).Within());

        Assert.Multiple(() =>
        {
            Assert.That(join!.Message, Does.EndWith(Refusal("secret")));
            Assert.That(send!.Message, Does.EndWith(Refusal("secret")));
            Assert.That(publish!.Message, Does.EndWith(Refusal("secret")));
        });
        await bob.Client.JoinAsync("room").Within();
        var sent = await alice.Client.SendToGroupAsync("room", "allowed").Within();
        var message = await bob.Messages.WaitForAsync(m => m.Id == sent.Id, "the message to an allowed group");
        Assert.That(message.Stream, Is.EqualTo("group:room"));
        var published = await alice.Client.PublishAsync("group:room", "typing", true).Within();
        await bob.Messages.WaitForAsync(m => m.Id == published.Id, "the event published to an allowed group");
        var presence = await alice.Client.GetPresenceAsync("room").Within();
        Assert.That(presence.Users, Is.EqualTo(new[] { "bob" }));
    }

    [Test]
    public async Task ThePresenceAndTheHistoryOfAGroupOutsideTheClaim_AreRefused_AndLeaveIsAlwaysAllowed()
    {
        var alice = await ConnectWithTokenAsync(NodeA, TestTokens.Create("alice", groups: new[] { "room" }));
        var resume = new ResumeRequest { Streams = [new StreamPosition { Stream = "group:room" }, new StreamPosition { Stream = "group:secret" }] };

        var presence = Assert.ThrowsAsync<HubException>(() => alice.Client.GetPresenceAsync("secret").Within());
        var resumed = Assert.ThrowsAsync<HubException>(() => alice.Client.ResumeAsync(resume).Within());

        Assert.Multiple(() =>
        {
            Assert.That(presence!.Message, Does.EndWith(Refusal("secret")));
            Assert.That(resumed!.Message, Does.EndWith(Refusal("secret")));
        });
        await alice.Client.LeaveAsync("secret").Within();
        var hub = await alice.Client.GetPresenceAsync().Within();
        Assert.That(hub.Users, Is.EqualTo(new[] { "alice" }));
    }

    [Test]
    public async Task AGroupsClaimOfOneString_AllowsThatGroup()
    {
        var alice = await ConnectWithTokenAsync(NodeA, TestTokens.Create("alice", groups: "room"));

        var joined = await alice.Client.JoinAsync("room").Within();
        var refused = Assert.ThrowsAsync<HubException>(() => alice.Client.JoinAsync("roo").Within());

        Assert.That(joined.Group, Is.EqualTo("room"));
        Assert.That(refused!.Message, Does.EndWith(Refusal("roo")));
    }

    [Test]
    public async Task ATokenWithoutAGroupsClaim_MayUseNoGroup_ButEverythingElse()
    {
        var alice = await ConnectWithTokenAsync(NodeA, TestTokens.Create("alice"));

        var refused = Assert.ThrowsAsync<HubException>(() => alice.Client.JoinAsync("room").Within());
        var sent = await alice.Client.SendToUserAsync("alice", "no groups, still here").Within();

        Assert.That(refused!.Message, Does.EndWith(Refusal("room")));
        await alice.Messages.WaitForAsync(m => m.Id == sent.Id, "the message to herself");
    }
}
